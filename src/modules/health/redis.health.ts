import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Queue } from 'bull';
import { withTimeout } from '../../common/with-timeout';
import { EVAL_RUNS_QUEUE } from '../../queue/queue.constants';
import { RedisWatch } from '../../queue/redis-watch';

/** Redis for readiness: down at once when a watched connection is down, else a ping of the queue's. */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly indicator: HealthIndicatorService,
    private readonly watch: RedisWatch,
    @InjectQueue(EVAL_RUNS_QUEUE) private readonly queue: Queue,
  ) {}

  async isHealthy(key: string) {
    const check = this.indicator.check(key);
    if (!this.watch.isUp) return check.down({ message: this.watch.problem });
    try {
      const pong = await withTimeout(this.queue.client.ping(), 2000, 'no answer in 2 s');
      return pong === 'PONG' ? check.up() : check.down({ message: String(pong) });
    } catch (e) {
      return check.down({ message: `Redis: ${e instanceof Error ? e.message : String(e)}` });
    }
  }
}
