import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Gauge } from 'prom-client';
import { Repository } from 'typeorm';
import { METRIC_PREFIX, MetricsRegistry } from '../operators/metrics-registry';
import { EvalRunEntity, EvalRunStatus } from './entities/eval-run.entity';

/**
 * Eval runs by status, read from PostgreSQL on each scrape of the API's /metrics (one GROUP BY over
 * an indexed column). Eval runs own the table, so the gauge lives here and registers itself in the
 * operators' registry. A failing read is logged and leaves the gauge empty; the scrape still succeeds.
 */
@Injectable()
export class RunStatusGauge {
  private readonly logger = new Logger(RunStatusGauge.name);

  constructor(
    { registry }: MetricsRegistry,
    @InjectRepository(EvalRunEntity) private readonly runs: Repository<EvalRunEntity>,
  ) {
    const gauge: Gauge<'status'> = new Gauge({
      name: `${METRIC_PREFIX}eval_runs`,
      help: 'Eval runs by status, all projects (read from PostgreSQL at scrape time).',
      labelNames: ['status'],
      registers: [registry],
      collect: async () => {
        gauge.reset();
        const counts = await this.runsByStatus();
        if (counts) for (const status of Object.values(EvalRunStatus)) gauge.set({ status }, counts.get(status) ?? 0);
      },
    });
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
