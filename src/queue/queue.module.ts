import { BullModule, InjectQueue } from '@nestjs/bull';
import { Global, Injectable, Module, OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bull';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/env';
import { EVAL_RUNS_QUEUE, KEEP_COMPLETED_JOBS, KEEP_FAILED_JOBS } from './queue.constants';
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
 * Bull over REDIS_URL. Redis carries the work (one job per slice of a run, active while its items
 * are judged) but is not the store: every job can be rebuilt from PostgreSQL by the eval-run
 * sweeper; finished jobs are kept a while only for Bull Board (KEEP_COMPLETED_JOBS, KEEP_FAILED_JOBS).
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
          removeOnComplete: KEEP_COMPLETED_JOBS,
          removeOnFail: KEEP_FAILED_JOBS,
          attempts: 3,
          backoff: { type: 'exponential', delay: 1000 },
        },
      }),
    }),
    BullModule.registerQueueAsync({
      name: EVAL_RUNS_QUEUE,
      inject: [APP_CONFIG],
      // A job's lock lives as long as an item lease: a worker that dies mid-job has its job handed
      // to another worker (stalled-job check) about when its items' leases expire.
      useFactory: (config: AppConfig) => ({
        settings: {
          lockDuration: config.evalRuns.itemLeaseMs,
          lockRenewTime: Math.floor(config.evalRuns.itemLeaseMs / 3),
          stalledInterval: Math.max(500, Math.floor(config.evalRuns.itemLeaseMs / 2)),
          maxStalledCount: 5,
        },
      }),
    }),
  ],
  providers: [RedisWatch, QueueConnectionWatch],
  exports: [BullModule, RedisWatch],
})
export class QueueModule {}
