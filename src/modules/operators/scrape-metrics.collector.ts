import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bull';
import { Gauge } from 'prom-client';
import { withTimeout } from '../../common/with-timeout';
import { EVAL_RUNS_QUEUE } from '../../queue/queue.constants';
import { MetricsRegistry } from './metrics-registry';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'paused'] as const;

/**
 * Gauges read on each scrape (API process only): the eval-run queue's job counts from Redis (eval
 * runs by status are the eval-runs module's RunStatusGauge). A failing source is logged and leaves
 * its gauge empty; the scrape itself still succeeds.
 */
@Injectable()
export class ScrapeMetricsCollector {
  private readonly logger = new Logger(ScrapeMetricsCollector.name);

  constructor(
    metrics: MetricsRegistry,
    @InjectQueue(EVAL_RUNS_QUEUE) private readonly queue: Queue,
  ) {
    const jobs: Gauge<'queue' | 'state'> = metrics.gauge({
      name: 'queue_jobs',
      help: 'Jobs in a Bull queue, by state (read from Redis at scrape time).',
      labelNames: ['queue', 'state'],
      collect: async () => {
        jobs.reset();
        const counts = await this.queueCounts();
        if (counts) for (const state of QUEUE_STATES) jobs.set({ queue: EVAL_RUNS_QUEUE, state }, counts[state] ?? 0);
      },
    });
  }

  private async queueCounts(): Promise<Partial<Record<(typeof QUEUE_STATES)[number], number>> | null> {
    try {
      return await withTimeout(this.queue.getJobCounts(), 2000);
    } catch (err) {
      this.logger.warn({ err }, 'Could not read queue job counts for /metrics');
      return null;
    }
  }
}
