/** What services throw. Knows nothing of HTTP: the global filter maps `code` to a status. */
export enum ErrorCode {
  VALIDATION_FAILED = 'VALIDATION_FAILED',
  NOT_FOUND = 'NOT_FOUND',
  CONFLICT = 'CONFLICT',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE = 'UNSUPPORTED_MEDIA_TYPE',
  RATE_LIMITED = 'RATE_LIMITED',
  JUDGE_PROVIDER_UNAVAILABLE = 'JUDGE_PROVIDER_UNAVAILABLE',
  JUDGE_CALL_FAILED = 'JUDGE_CALL_FAILED',
  JUDGE_INVALID_OUTPUT = 'JUDGE_INVALID_OUTPUT',
  /** A dependency (Redis) is down: 503, retry later. */
  DEPENDENCY_UNAVAILABLE = 'DEPENDENCY_UNAVAILABLE',
}

export class DomainError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (message: string) => new DomainError(ErrorCode.NOT_FOUND, message);
export const unprocessable = (message: string) => new DomainError(ErrorCode.VALIDATION_FAILED, message);
export const conflict = (message: string) => new DomainError(ErrorCode.CONFLICT, message);
export const unauthenticated = (message: string) => new DomainError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message: string) => new DomainError(ErrorCode.FORBIDDEN, message);
