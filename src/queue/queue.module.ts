import { BullModule, InjectQueue } from '@nestjs/bull';
import { Global, Injectable, Module, OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bull';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/env';
import { EVAL_RUNS_QUEUE } from './queue.constants';
import { RedisWatch } from './redis-watch';

/** The queue's own connection is one of the Redis connections watched. */
@Injectable()
class QueueConnectionWatch implements OnModuleInit {
  constructor(
    @InjectQueue(EVAL_RUNS_QUEUE) private readonly queue: Queue,
    private readonly watch: RedisWatch,
  ) {}

  onModuleInit() {
    this.watch.watch(this.queue.client, 'queue');
  }
}

/**
 * Bull over REDIS_URL. Redis is a transport, not a store: every job can be rebuilt from
 * PostgreSQL by the eval-run sweeper, so jobs are removed once done.
 */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        url: config.redis.url,
        prefix: `${config.redis.queuePrefix}:bull`,
        defaultJobOptions: {
          removeOnComplete: true,
          removeOnFail: 1000,
          attempts: 3,
          backoff: { type: 'exponential', delay: 1000 },
        },
      }),
    }),
    BullModule.registerQueue({ name: EVAL_RUNS_QUEUE }),
  ],
  providers: [RedisWatch, QueueConnectionWatch],
  exports: [BullModule, RedisWatch],
})
export class QueueModule {}
