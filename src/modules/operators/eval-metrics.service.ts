import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { MetricsRegistry, observeMs } from './metrics-registry';

/**
 * What became of one (trace, metric) pair an eval-run worker settled: a SUCCESS or FAILED score
 * written, skipped (its trace no longer exists), or interrupted (given back unfinished: shutdown,
 * cancel, an unexpected error).
 */
export type EvalItemOutcome = 'succeeded' | 'failed' | 'skipped' | 'interrupted';

/** Terminal run statuses. */
export type RunEndStatus = 'COMPLETED' | 'FAILED' | 'CANCELLED';

/** Counters the eval-run workers (and the API, for cancels) increment. Cheap, synchronous, never throws. */
@Injectable()
export class EvalMetrics {
  private readonly processed: Counter<'outcome' | 'metric'>;
  private readonly duration: Histogram<'outcome'>;
  private readonly runsFinished: Counter<'status'>;

  constructor(metrics: MetricsRegistry) {
    this.processed = metrics.counter({
      name: 'eval_items_processed_total',
      help: 'Eval-run (trace, metric) pairs settled by the workers, by outcome (succeeded, failed, skipped, interrupted) and metric.',
      labelNames: ['outcome', 'metric'],
    });
    this.duration = metrics.histogram({
      name: 'eval_item_duration_seconds',
      help: 'Time to evaluate one eval-run item (a trace and its metrics), judge calls included.',
      labelNames: ['outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    });
    this.runsFinished = metrics.counter({
      name: 'eval_runs_finished_total',
      help: 'Eval runs that reached a terminal status, by status.',
      labelNames: ['status'],
    });
  }

  /** `count` pairs of one metric settled with this outcome. */
  itemProcessed(outcome: EvalItemOutcome, metric: string, count = 1): void {
    if (count > 0) this.processed.inc({ outcome, metric }, count);
  }

  /** One item (a trace) evaluated in `durationMs`; outcome `failed` when any of its metrics failed. */
  itemDuration(outcome: 'succeeded' | 'failed', durationMs: number): void {
    observeMs(this.duration, { outcome }, durationMs);
  }

  /** A run reached a terminal status (counted by the process that made it so). */
  runFinished(status: RunEndStatus): void {
    this.runsFinished.inc({ status });
  }
}
