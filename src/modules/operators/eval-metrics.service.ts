import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { METRIC_PREFIX, MetricsRegistry } from './metrics-registry';

/** What became of one unit of eval-run work (a trace × metric pair, or a trace of the ledger). */
export type EvalItemOutcome = 'succeeded' | 'failed' | 'skipped';

/** Counters the eval-run workers increment. Cheap, synchronous, never throws. */
@Injectable()
export class EvalMetrics {
  private readonly processed: Counter<'outcome'>;
  private readonly failed: Counter<'metric'>;
  private readonly duration: Histogram<'outcome'>;
  private readonly runsFinished: Counter<'status'>;

  constructor({ registry }: MetricsRegistry) {
    this.processed = new Counter({
      name: `${METRIC_PREFIX}eval_items_processed_total`,
      help: 'Eval-run items finished by the workers, by outcome (succeeded, failed, skipped).',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.failed = new Counter({
      name: `${METRIC_PREFIX}eval_items_failed_total`,
      help: 'Eval-run items that ended with a FAILED score, by metric.',
      labelNames: ['metric'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: `${METRIC_PREFIX}eval_item_duration_seconds`,
      help: 'Time to evaluate one eval-run item, judge calls included.',
      labelNames: ['outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    });
    this.runsFinished = new Counter({
      name: `${METRIC_PREFIX}eval_runs_finished_total`,
      help: 'Eval runs that reached a terminal status, by status.',
      labelNames: ['status'],
      registers: [registry],
    });
    for (const outcome of ['succeeded', 'failed', 'skipped'] as const) this.processed.inc({ outcome }, 0);
  }

  /**
   * One item finished. `metric` names the failed metric (for `eval_items_failed_total`);
   * `durationMs` feeds the duration histogram when given.
   */
  itemProcessed(outcome: EvalItemOutcome, opts: { metric?: string; durationMs?: number } = {}): void {
    this.processed.inc({ outcome });
    if (outcome === 'failed') this.failed.inc({ metric: opts.metric ?? 'unknown' });
    if (opts.durationMs !== undefined && Number.isFinite(opts.durationMs)) {
      this.duration.observe({ outcome }, Math.max(0, opts.durationMs) / 1000);
    }
  }

  /** A run reached COMPLETED or FAILED. */
  runFinished(status: 'COMPLETED' | 'FAILED'): void {
    this.runsFinished.inc({ status });
  }
}
