import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module';
import type { AppConfig } from '../../config/env';
import { InjectRepository } from '@nestjs/typeorm';
import { Gauge } from 'prom-client';
import { Repository } from 'typeorm';
import { MetricsRegistry } from '../operators/metrics-registry';
import { EvalRunEntity, EvalRunStatus } from './entities/eval-run.entity';

/**
 * Eval runs by status, read from PostgreSQL for the API's /metrics (one GROUP BY over an indexed
 * column, over every run): counted at most once per METRICS_RUNS_REFRESH_MS, so frequent or hostile
 * scrapes cost nothing more. Eval runs own the table, so the gauge lives here and registers itself in
 * the operators' registry. A failing read is logged and leaves the gauge empty; the scrape still succeeds.
 */
@Injectable()
export class RunStatusGauge {
  private readonly logger = new Logger(RunStatusGauge.name);
  private readonly refreshMs: number;
  private cached?: { at: number; counts: Promise<Map<string, number> | null> };

  constructor(
    metrics: MetricsRegistry,
    @InjectRepository(EvalRunEntity) private readonly runs: Repository<EvalRunEntity>,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.refreshMs = config.tenants.metricsRunsRefreshMs;
    const gauge: Gauge<'status'> = metrics.gauge({
      name: 'eval_runs',
      help: 'Eval runs by status, all projects (read from PostgreSQL at scrape time).',
      labelNames: ['status'],
      collect: async () => {
        gauge.reset();
        const counts = await this.cachedRunsByStatus();
        if (counts) for (const status of Object.values(EvalRunStatus)) gauge.set({ status }, counts.get(status) ?? 0);
      },
    });
  }

  /** One count in flight at a time, reused until it is older than the refresh interval. */
  private cachedRunsByStatus(): Promise<Map<string, number> | null> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at >= this.refreshMs) this.cached = { at: now, counts: this.runsByStatus() };
    return this.cached.counts;
  }

  private async runsByStatus(): Promise<Map<string, number> | null> {
    try {
      const rows = await this.runs
        .createQueryBuilder('r')
        .select('r.status', 'status')
        .addSelect('count(*)', 'n')
        .groupBy('r.status')
        .getRawMany<{ status: string; n: string }>();
      return new Map(rows.map((r) => [r.status, Number(r.n)]));
    } catch (err) {
      this.logger.warn({ err }, 'Could not count eval runs for /metrics');
      return null;
    }
  }
}
