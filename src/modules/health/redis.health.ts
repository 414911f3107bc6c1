import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Queue } from 'bull';
import { EVAL_RUNS_QUEUE } from '../../queue/queue.constants';

/** Pings the Redis behind the eval-run queue. */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly indicator: HealthIndicatorService,
    @InjectQueue(EVAL_RUNS_QUEUE) private readonly queue: Queue,
  ) {}

  async isHealthy(key: string) {
    const check = this.indicator.check(key);
    try {
      const pong = await Promise.race([
        this.queue.client.ping(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000)),
      ]);
      return pong === 'PONG' ? check.up() : check.down({ message: String(pong) });
    } catch (e) {
      return check.down({ message: e instanceof Error ? e.message : String(e) });
    }
  }
}
