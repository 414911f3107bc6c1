import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Global, Module } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { ThrottlerModule } from '@nestjs/throttler';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/env';
import { RedisWatch } from '../queue/redis-watch';

/** Rate-limit counters live in Redis: while it is down, throttled requests get 503 at once. */
class WatchedThrottlerStorage extends ThrottlerStorageRedisService {
  constructor(
    url: string,
    prefix: string,
    private readonly watch: RedisWatch,
  ) {
    super(url, { keyPrefix: prefix });
    watch.watch(this.redis as Redis, 'rate limits');
  }

  increment(...args: Parameters<ThrottlerStorageRedisService['increment']>) {
    this.watch.assertUp();
    return super.increment(...args);
  }
}

const RATE_LIMIT_STORAGE = Symbol('RATE_LIMIT_STORAGE');

/** A provider (not a bare object) so that Nest closes its Redis connection on shutdown. */
@Global()
@Module({
  providers: [
    {
      provide: RATE_LIMIT_STORAGE,
      inject: [APP_CONFIG, RedisWatch],
      useFactory: (config: AppConfig, watch: RedisWatch) =>
        new WatchedThrottlerStorage(config.redis.url, `${config.redis.queuePrefix}:throttle:`, watch),
    },
  ],
  exports: [RATE_LIMIT_STORAGE],
})
class RateLimitStorageModule {}

/** Named limits with counters in Redis, so they hold across API instances. */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStorageModule],
      inject: [APP_CONFIG, RATE_LIMIT_STORAGE],
      useFactory: (config: AppConfig, storage: ThrottlerStorageRedisService) => {
        // Ingestion is not a window counter: see IngestRateGuard's token bucket.
        const { windowMs, default: byDefault, evalRuns, monitorTrigger, cliExchange } = config.rateLimits;
        return {
          throttlers: [
            { name: 'default', ttl: windowMs, limit: byDefault },
            { name: 'evalRuns', ttl: windowMs, limit: evalRuns },
            { name: 'monitorTrigger', ttl: windowMs, limit: monitorTrigger },
            { name: 'cliExchange', ttl: windowMs, limit: cliExchange },
          ],
          storage,
        };
      },
    }),
  ],
})
export class ThrottleModule {}
