import { BullModule } from '@nestjs/bull';
import { Global, Module } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/env';
import { EVAL_RUNS_QUEUE } from './queue.constants';

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
  exports: [BullModule],
})
export class QueueModule {}
