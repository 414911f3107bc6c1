import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { Response } from 'express';
import { APP_CONFIG } from '../../../config/config.module';
import { AppConfig } from '../../../config/env';
import { TokenBucket } from '../../../common/rate/token-bucket';
import { RedisWatch } from '../../../queue/redis-watch';
import { type AuthedRequest, createPendingProject } from './project-auth.guard';
import { rateLimited } from './rate-limited';

/**
 * Ingestion is limited per project by a token bucket (RATE_LIMIT_INGEST per second, bursts of
 * RATE_LIMIT_INGEST_BURST; 0 = off) rather than a fixed window: an agent's burst passes, a sustained
 * flood is held to the rate, and a refused client is told to come back when one token is there
 * (about 1/rate seconds), not at the end of a minute. Runs after authentication.
 */
@Injectable()
export class IngestRateGuard implements CanActivate {
  private readonly bucket: TokenBucket | null;
  private readonly summary: string;
  private readonly prefix: string;

  constructor(
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    private readonly watch: RedisWatch,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const { ingest, ingestBurst } = config.rateLimits;
    const redis = (storage as ThrottlerStorageRedisService).redis;
    this.bucket = ingest > 0 ? new TokenBucket(redis, ingest, ingestBurst) : null;
    this.summary = `Rate limit exceeded for this project: ${ingest} ingestion requests per second, bursts of ${ingestBurst}`;
    this.prefix = 'bucket:ingest:'; // after the client's own `${QUEUE_PREFIX}:throttle:`
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    // A project named for the first time is created here (bounded per key by
    // PROJECTS_AUTO_CREATED_PER_HOUR); its bucket starts full, like any project's.
    await createPendingProject(req);
    const projectId = req.projectContext?.projectId;
    if (!this.bucket || !projectId) return true;
    this.watch.assertUp();
    const { allowed, retryAfterMs } = await this.bucket.consume(this.prefix + projectId);
    if (!allowed) throw rateLimited(context.switchToHttp().getResponse<Response>(), this.summary, retryAfterMs / 1000);
    return true;
  }
}
