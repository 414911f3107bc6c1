import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module';
import { AppConfig } from '../../config/env';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bull';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { EvalRunStatus } from '../eval-runs/entities/eval-run.entity';
import { EVAL_RUNS_QUEUE } from '../../queue/queue.constants';
import { METRIC_PREFIX, MetricsRegistry } from './metrics-registry';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'paused'] as const;

/**
 * Gauges read on scrapes (API process only): eval runs by status from PostgreSQL (one GROUP BY over
 * an indexed column, over every run: counted at most once per METRICS_RUNS_REFRESH_MS, so frequent
 * or hostile scrapes cost nothing more) and the eval-run queue's job counts from Redis. A failing source is
 * logged and leaves its gauge empty; the scrape itself still succeeds.
 */
@Injectable()
export class ScrapeMetricsCollector {
  private readonly logger = new Logger(ScrapeMetricsCollector.name);
  private readonly runsRefreshMs: number;
  private runs: { at: number; counts: Promise<Map<string, number> | null> } | null = null;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    { registry }: MetricsRegistry,
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(EVAL_RUNS_QUEUE) private readonly queue: Queue,
  ) {
    this.runsRefreshMs = config.tenants.metricsRunsRefreshMs;
    const runs: Gauge<'status'> = new Gauge({
      name: `${METRIC_PREFIX}eval_runs`,
      help: 'Eval runs by status, all projects (read from PostgreSQL at scrape time).',
      labelNames: ['status'],
      registers: [registry],
      collect: async () => {
        runs.reset();
        const counts = await this.cachedRunsByStatus();
        if (counts) for (const status of Object.values(EvalRunStatus)) runs.set({ status }, counts.get(status) ?? 0);
      },
    });
    const jobs: Gauge<'queue' | 'state'> = new Gauge({
      name: `${METRIC_PREFIX}queue_jobs`,
      help: 'Jobs in a Bull queue, by state (read from Redis at scrape time).',
      labelNames: ['queue', 'state'],
      registers: [registry],
      collect: async () => {
        jobs.reset();
        const counts = await this.queueCounts();
        if (counts) for (const state of QUEUE_STATES) jobs.set({ queue: EVAL_RUNS_QUEUE, state }, counts[state] ?? 0);
      },
    });
  }

  /** One count in flight at a time, reused until it is older than the refresh interval. */
  private cachedRunsByStatus(): Promise<Map<string, number> | null> {
    const now = Date.now();
    if (!this.runs || now - this.runs.at >= this.runsRefreshMs) this.runs = { at: now, counts: this.runsByStatus() };
    return this.runs.counts;
  }

  private async runsByStatus(): Promise<Map<string, number> | null> {
    try {
      const rows: { status: string; n: string }[] = await this.dataSource.query(
        'SELECT status, count(*) AS n FROM eval_runs GROUP BY status',
      );
      return new Map(rows.map((r) => [r.status, Number(r.n)]));
    } catch (err) {
      this.logger.warn({ err }, 'Could not count eval runs for /metrics');
      return null;
    }
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

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
