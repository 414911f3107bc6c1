import type { Response } from 'express';
import { DomainError, ErrorCode } from '../../../common/errors/domain.error';

/** "Retry after 1 second." / "Retry after 42 seconds." */
export const retryAfterText = (seconds: number): string => `Retry after ${seconds} second${seconds === 1 ? '' : 's'}.`;

/** The 429 every limit answers with; Retry-After is the time until the blocking counter lets a request through. */
export function rateLimited(res: Response, summary: string, retryAfterSeconds: number): DomainError {
  const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
  res.setHeader('Retry-After', String(retryAfter));
  return new DomainError(ErrorCode.RATE_LIMITED, `${summary}. ${retryAfterText(retryAfter)}`, { error: summary });
}
