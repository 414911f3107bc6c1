import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG } from '../../../config/config.module';
import type { AppConfig } from '../../../config/env';
import { EvalRunsProducer } from '../eval-runs.producer';
import { EvalRunLedgerRepository } from './eval-run-ledger.repository';
import { EvalRunExecutor } from './eval-run.executor';

/** Runs re-enqueued per sweep, oldest first. */
const SWEEP_BATCH = 500;

/**
 * Rebuilds the queue from PostgreSQL: at worker start and every EVAL_SWEEP_INTERVAL_MS it completes
 * runs with no open item left and re-enqueues every unfinished run with claimable items (PENDING
 * items, or leases that expired because a worker died). So a failed enqueue, a lost job, a killed
 * worker or a flushed Redis delays a run but never strands it. A timer, not a repeatable Bull job,
 * so that flushing Redis cannot remove the sweeper itself.
 */
@Injectable()
export class EvalRunSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(EvalRunSweeper.name);
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly ledger: EvalRunLedgerRepository,
    private readonly producer: EvalRunsProducer,
    private readonly executor: EvalRunExecutor,
  ) {}

  onApplicationBootstrap(): void {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.config.evalRuns.sweepIntervalMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** One pass; returns the runs it re-enqueued. Overlapping passes are skipped. */
  async sweep(): Promise<string[]> {
    if (this.running || this.executor.isStopping) return [];
    this.running = true;
    try {
      const completed = await this.ledger.completeSettledRuns();
      if (completed.length) this.logger.log({ runs: completed }, 'Sweeper completed settled eval runs');
      const runs = await this.ledger.runsNeedingWork(SWEEP_BATCH);
      // One job id per run and sweep tick: sweepers of several workers in the same tick add one job.
      const tick = Math.floor(Date.now() / this.config.evalRuns.sweepIntervalMs);
      for (const runId of runs) {
        const queued = await this.producer.wake(runId, `s${tick}`);
        // Redis unreachable: this process is a worker too, so it keeps the run moving itself.
        if (!queued) void this.executor.drain(runId);
      }
      return runs;
    } catch (error) {
      this.logger.warn({ err: error }, 'Eval-run sweep failed; retrying at the next interval');
      return [];
    } finally {
      this.running = false;
    }
  }
}
