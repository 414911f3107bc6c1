import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bull';
import type { DataSource } from 'typeorm';
import { withTimeout } from '../../common/with-timeout';
import { APP_CONFIG } from '../../config/config.module';
import type { AppConfig } from '../../config/env';
import {
  EVAL_RUNS_QUEUE,
  EVALUATE_ITEMS_JOB,
  KEEP_COMPLETED_JOBS,
  KEEP_FAILED_JOBS,
} from '../../queue/queue.constants';
import { EvaluateItemsJob, sliceJobId } from './jobs/evaluate-items.job';
import { byRun, SliceWindow } from './slice-window';

/** How long the API waits for Redis before answering anyway; the sweeper enqueues what was missed. */
const ENQUEUE_TIMEOUT_MS = 2_000;

/** Redis channel on which the API tells workers that a run was stopped (cancelled). */
export const runControlChannel = (config: AppConfig): string => `${config.redis.queuePrefix}:eval-runs:stopped`;

/**
 * Owns the eval-runs queue on the producing side. Slices are enqueued a project's window at a time
 * (SliceWindow): at most EVAL_PROJECT_SLICES_IN_FLIGHT of a project's slices are queued or active,
 * and each finished slice lets the project's next one in, behind the other projects' jobs.
 */
@Injectable()
export class EvalRunsProducer {
  private readonly logger = new Logger(EvalRunsProducer.name);
  private readonly window: SliceWindow;

  constructor(
    @InjectQueue(EVAL_RUNS_QUEUE) private readonly queue: Queue<EvaluateItemsJob>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() ds: DataSource,
  ) {
    this.window = new SliceWindow(ds, config.evalRuns.projectSlicesInFlight);
  }

  /**
   * Enqueues what the project of `runId` may have in flight now: after a run's creation committed
   * (its first slices, if its project's older runs leave room), and after one of its slices finished
   * (the project's next slice). Never throws: the sweeper enqueues whatever this misses. `created`:
   * the run was just created, so its own slices have no finished job to drop (no Redis read).
   */
  async enqueueRun(runId: string, created = false): Promise<boolean> {
    let slices;
    try {
      slices = await this.window.ofRunsProject(runId);
    } catch (error) {
      this.logger.warn({ err: error, runId }, 'Could not read the project’s slice window; the sweeper will enqueue it');
      return false;
    }
    const results = await Promise.all(
      [...byRun(slices)].map(([id, s]) => this.enqueue(id, s, created && id === runId)),
    );
    return results.every(Boolean);
  }

  /** The claimable slices of every project's window (oldest `runs` unfinished runs), for the sweeper. */
  claimableWindows(runs: number) {
    return this.window.claimable(runs);
  }

  /**
   * Enqueues the jobs of some slices of a run. A slice whose job is still queued or active is not
   * added twice (the job id is the slice's). Never throws: a lost job only delays the run until
   * the next sweep.
   */
  async enqueue(runId: string, slices: number[], fresh = false): Promise<boolean> {
    if (slices.length === 0) return true;
    const add = (fresh ? Promise.resolve() : this.dropFinished(runId, slices)).then(() =>
      this.queue.addBulk(
        slices.map((slice) => ({
          name: EVALUATE_ITEMS_JOB,
          data: { runId, slice },
          opts: {
            jobId: sliceJobId(runId, slice),
            removeOnComplete: KEEP_COMPLETED_JOBS,
            removeOnFail: KEEP_FAILED_JOBS,
          },
        })),
      ),
    );
    return this.answered(add, runId, 'Could not enqueue eval-run work; the sweeper will pick the run up');
  }

  /**
   * Finished jobs are kept for Bull Board, and a kept one holding a slice's job id would turn the
   * re-add into a no-op: drop those first.
   */
  private async dropFinished(runId: string, slices: number[]): Promise<void> {
    await Promise.all(
      slices.map(async (slice) => {
        const job = await this.queue.getJob(sliceJobId(runId, slice));
        if (job?.finishedOn) await job.remove().catch(() => undefined);
      }),
    );
  }

  /** Tells every worker at once that a run stopped, so none starts another judge call for it. */
  announceStopped(runId: string): Promise<boolean> {
    const publish = this.queue.client.publish(runControlChannel(this.config), runId);
    return this.answered(publish, runId, 'Could not announce a stopped run; workers notice it at their next heartbeat');
  }

  /** Whether `work` (a Redis command) finished within ENQUEUE_TIMEOUT_MS; if not, `warning` is logged. */
  private async answered(work: Promise<unknown>, runId: string, warning: string): Promise<boolean> {
    try {
      await withTimeout(work, ENQUEUE_TIMEOUT_MS, `Redis did not answer within ${ENQUEUE_TIMEOUT_MS} ms`);
      return true;
    } catch (error) {
      this.logger.warn({ err: error, runId }, warning);
      return false;
    }
  }
}
