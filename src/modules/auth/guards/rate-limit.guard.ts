import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { Response } from 'express';
import { APP_CONFIG } from '../../../config/config.module';
import { AppConfig } from '../../../config/env';
import { rateLimited } from './rate-limited';
import { type AuthedRequest, createPendingProject } from './project-auth.guard';

/** Named limits; each route belongs to exactly one (see the Auth decorator). */
export const RATE_LIMITS = ['default', 'ingest', 'evalRuns', 'monitorTrigger', 'cliExchange', 'invitations'] as const;
export type RateLimitName = (typeof RATE_LIMITS)[number];

/** Limits whose counter is shared by every route that uses them (e.g. create, batch and retry runs). */
const SHARED: ReadonlySet<string> = new Set<RateLimitName>(['ingest', 'evalRuns']);

export function describeWindow(ttlMs: number): string {
  if (ttlMs % 3_600_000 === 0) return ttlMs === 3_600_000 ? '1 hour' : `${ttlMs / 3_600_000} hours`;
  if (ttlMs % 60_000 === 0) return ttlMs === 60_000 ? '1 minute' : `${ttlMs / 60_000} minutes`;
  return `${Math.round(ttlMs / 1000)} seconds`;
}

/** The X-RateLimit-* headers one counter set (the default limit's have no suffix, as the throttler names them). */
function rateLimitHeaders(res: Response, throttler: string | undefined): [string, string][] {
  const suffix = !throttler || throttler === 'default' ? '' : `-${throttler}`;
  return ['Limit', 'Remaining', 'Reset'].map((part) => {
    const name = `X-RateLimit-${part}${suffix}`;
    return [name, String(res.getHeader(name) ?? '')];
  });
}

const remaining = (headers: [string, string][]): number => Number(headers[1][1]);

/** Who is calling: the API key or the user, whatever project they address (IP only before authentication). */
function credentialOf(req: AuthedRequest): string {
  const principal = req.projectContext?.principal ?? req.pendingProject?.principal;
  if (principal) return principal.kind === 'api_key' ? `key:${principal.apiKeyId}` : `user:${principal.userId}`;
  if (req.user) return `user:${req.user.userId}`; // management routes: Bearer, no project
  return `ip:${String(req.ip)}`;
}

/**
 * Runs after authentication, so unauthenticated floods never consume a caller's budget. Each named
 * limit holds two counters: one per credential across every project it addresses (so a key cannot
 * multiply its budget by naming new projects), and one per project across all its credentials
 * (RATE_LIMIT_PROJECT_FACTOR times the limit). Management routes count per user.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly projectFactor: number;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    super(options, storage, reflector);
    this.projectFactor = config.security.projectRateLimitFactor;
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const allowed = await super.canActivate(context);
    // A route with every limit skipped still needs its project.
    await createPendingProject(context.switchToHttp().getRequest<AuthedRequest>());
    return allowed;
  }

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const req = props.context.switchToHttp().getRequest<AuthedRequest>();
    const res = props.context.switchToHttp().getResponse<Response>();
    const credential = credentialOf(req);
    await super.handleRequest({ ...props, getTracker: () => credential });
    const credentialHeaders = rateLimitHeaders(res, props.throttler.name);
    // Only a credential within its limit gets the project it named created.
    await createPendingProject(req);
    const projectId = req.projectContext?.projectId;
    if (projectId) {
      await super.handleRequest({
        ...props,
        limit: props.limit * this.projectFactor,
        getTracker: () => `project:${projectId}`,
      });
      // The headers describe the counter that will refuse first: the one with fewer requests left.
      const projectHeaders = rateLimitHeaders(res, props.throttler.name);
      if (remaining(credentialHeaders) <= remaining(projectHeaders)) {
        for (const [name, value] of credentialHeaders) res.setHeader(name, value);
      }
    }
    return true;
  }

  protected override generateKey(context: ExecutionContext, tracker: string, throttlerName: string): string {
    if (SHARED.has(throttlerName)) return `${throttlerName}:${tracker}`;
    return `${throttlerName}:${context.getClass().name}.${context.getHandler().name}:${tracker}`;
  }

  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const scope = detail.tracker.startsWith('project:') ? ' for this project' : '';
    throw rateLimited(
      context.switchToHttp().getResponse<Response>(),
      `Rate limit exceeded${scope}: ${detail.limit} per ${describeWindow(detail.ttl)}`,
      detail.timeToBlockExpire || detail.timeToExpire,
    );
  }
}
