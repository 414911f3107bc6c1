import { Inject, Injectable } from '@nestjs/common';
import { PeriodicPass, type PassSchedule } from '../../../common/periodic-pass';
import { APP_CONFIG } from '../../../config/config.module';
import type { AppConfig } from '../../../config/env';
import { EvalMetrics } from '../../operators/eval-metrics.service';
import { EvalRunsProducer } from '../eval-runs.producer';
import { byRun, type WindowSlice } from '../slice-window';
import { EvalRunLedgerRepository } from './eval-run-ledger.repository';
import { EvalRunExecutor } from './eval-run.executor';

/** Unfinished runs looked at per sweep, oldest first. */
const SWEEP_BATCH = 500;

/**
 * The backstop for when Redis lost the jobs: at worker start and every EVAL_SWEEP_INTERVAL_MS it
 * completes runs with no open item left and re-enqueues the job of every slice with claimable items
 * (PENDING items, or leases that expired because a worker died) within its project's window (the
 * project's first EVAL_PROJECT_SLICES_IN_FLIGHT open slices, see SliceWindow). A slice whose job is
 * still queued or active is not added twice (the job id is the slice's). So a failed enqueue, a lost job, a
 * killed worker or a flushed Redis delays a run but never strands it. A PeriodicPass, so flushing
 * Redis cannot remove the sweeper itself.
 */
@Injectable()
export class EvalRunSweeper extends PeriodicPass<WindowSlice[]> {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly ledger: EvalRunLedgerRepository,
    private readonly producer: EvalRunsProducer,
    private readonly executor: EvalRunExecutor,
    private readonly evalMetrics: EvalMetrics,
  ) {
    super('Eval-run sweep failed; retrying at the next interval');
  }

  protected schedule(): PassSchedule {
    return { intervalMs: this.config.evalRuns.sweepIntervalMs, firstAfterMs: 0 };
  }

  /** One pass (or the one in flight); returns the slices it re-enqueued. */
  sweep(): Promise<WindowSlice[]> {
    return this.run();
  }

  protected async pass(): Promise<WindowSlice[]> {
    if (this.executor.isStopping) return [];
    const completed = await this.ledger.completeSettledRuns();
    if (completed.length) {
      this.logger.log({ runs: completed }, 'Sweeper completed settled eval runs');
      for (let i = 0; i < completed.length; i++) this.evalMetrics.runFinished('COMPLETED');
    }
    const slices = await this.producer.claimableWindows(SWEEP_BATCH);
    for (const [runId, runSlices] of byRun(slices)) {
      if (this.isStopped) break;
      const queued = await this.producer.enqueue(runId, runSlices);
      // Redis unreachable: this process is a worker too, so it keeps the run moving itself.
      if (!queued) for (const slice of runSlices) void this.executor.runSlice(runId, slice).catch(() => undefined);
    }
    return slices;
  }
}
