import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import type { Response } from 'express';
import { DomainError, ErrorCode } from '../../../common/errors/domain.error';
import { AuthedRequest } from './project-auth.guard';

/** Named limits; each route belongs to exactly one (see the Auth decorator). */
export const RATE_LIMITS = ['default', 'ingest', 'evalRuns'] as const;
export type RateLimitName = (typeof RATE_LIMITS)[number];

/** Limits whose counter is shared by every route that uses them (e.g. create, batch and retry runs). */
const SHARED: ReadonlySet<string> = new Set<RateLimitName>(['ingest', 'evalRuns']);

function describeWindow(ttlMs: number): string {
  if (ttlMs % 3_600_000 === 0) return ttlMs === 3_600_000 ? '1 hour' : `${ttlMs / 3_600_000} hours`;
  if (ttlMs % 60_000 === 0) return ttlMs === 60_000 ? '1 minute' : `${ttlMs / 60_000} minutes`;
  return `${Math.round(ttlMs / 1000)} seconds`;
}

/**
 * Runs after authentication, so it counts per credential and project rather than per IP,
 * and unauthenticated floods never consume a caller's budget.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const ctx = (req as unknown as AuthedRequest).projectContext;
    if (!ctx) return `ip:${String((req as unknown as AuthedRequest).ip)}`;
    const who = ctx.principal.kind === 'api_key' ? `key:${ctx.principal.apiKeyId}` : `user:${ctx.principal.userId}`;
    return `${who}:project:${ctx.projectId}`;
  }

  protected override generateKey(context: ExecutionContext, tracker: string, throttlerName: string): string {
    if (SHARED.has(throttlerName)) return `${throttlerName}:${tracker}`;
    return `${throttlerName}:${context.getClass().name}.${context.getHandler().name}:${tracker}`;
  }

  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const retryAfter = Math.max(1, Math.ceil(detail.timeToBlockExpire || detail.timeToExpire || 1));
    context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(retryAfter));
    const summary = `Rate limit exceeded: ${detail.limit} per ${describeWindow(detail.ttl)}`;
    throw new DomainError(ErrorCode.RATE_LIMITED, `${summary}. Retry after ${retryAfter} seconds.`, {
      error: summary,
    });
  }
}
