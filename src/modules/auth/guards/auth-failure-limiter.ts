import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { DomainError, ErrorCode } from '../../../common/errors/domain.error';
import { APP_CONFIG } from '../../../config/config.module';
import { AppConfig } from '../../../config/env';
import { rateLimited } from './rate-limited';

/**
 * Limiting before authentication (issue 22, finding 6): every well-formed bogus key costs a database
 * lookup, and the rate limits only count callers who authenticated. So failed authentications are
 * counted per client IP in Redis (beside the rate limits); past AUTH_FAILURES_PER_IP in a
 * RATE_LIMIT_WINDOW_MS window, every attempt from that IP is a 429 before any lookup, until the
 * window ends. Successful requests are never counted, so a busy NAT of honest agents is not limited.
 */
@Injectable()
export class AuthFailureLimiter {
  private readonly limit: number;
  private readonly windowMs: number;

  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.limit = config.tenants.authFailuresPerIp;
    this.windowMs = config.rateLimits.windowMs;
  }

  /** Throws the 429 when the caller's IP spent its failures; otherwise runs `authenticate`, counting a failure. */
  async guard<T>(req: Request, res: Response, authenticate: () => Promise<T>): Promise<T> {
    if (this.limit === 0) return authenticate();
    const key = `auth-failures:ip:${String(req.ip)}`;
    // One command on the way in (every request pays it); the window's end is read only to refuse.
    if (Number((await this.redis.get(key)) ?? 0) >= this.limit) throw this.refusal(res, await this.redis.pttl(key));
    try {
      return await authenticate();
    } catch (error) {
      const failedAuth =
        (error instanceof DomainError && error.code === ErrorCode.UNAUTHENTICATED) ||
        error instanceof UnauthorizedException;
      if (failedAuth) await this.redis.multi().incr(key).pexpire(key, this.windowMs, 'NX').exec();
      throw error;
    }
  }

  private refusal(res: Response, ttlMs: number): DomainError {
    return rateLimited(
      res,
      `Too many failed authentications from this address: ${this.limit} per ${this.windowMs / 1000} s (AUTH_FAILURES_PER_IP)`,
      Math.max(ttlMs, 1000) / 1000,
    );
  }

  private get redis(): Redis {
    return (this.storage as unknown as { redis: Redis }).redis;
  }
}
