import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bull';
import { APP_CONFIG } from '../../config/config.module';
import type { AppConfig } from '../../config/env';
import {
  EVAL_RUNS_QUEUE,
  EVALUATE_ITEMS_JOB,
  KEEP_COMPLETED_JOBS,
  KEEP_FAILED_JOBS,
} from '../../queue/queue.constants';
import { EvaluateItemsJob, sliceJobId } from './jobs/evaluate-items.job';

/** How long the API waits for Redis before answering anyway; the sweeper enqueues what was missed. */
const ENQUEUE_TIMEOUT_MS = 2_000;

/** Redis channel on which the API tells workers that a run was stopped (cancelled). */
export const runControlChannel = (config: AppConfig): string => `${config.redis.queuePrefix}:eval-runs:stopped`;

/** Owns the eval-runs queue on the producing side. */
@Injectable()
export class EvalRunsProducer {
  private readonly logger = new Logger(EvalRunsProducer.name);

  constructor(
    @InjectQueue(EVAL_RUNS_QUEUE) private readonly queue: Queue<EvaluateItemsJob>,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Enqueues one job per slice `0 .. sliceCount-1` of a run (after its creation committed). */
  enqueueRun(runId: string, sliceCount: number): Promise<boolean> {
    return this.enqueue(
      runId,
      Array.from({ length: sliceCount }, (_, i) => i),
      true,
    );
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
    return this.withTimeout(add, runId, 'Could not enqueue eval-run work; the sweeper will pick the run up');
  }

  /**
   * Finished jobs are kept for Bull Board, and a kept one holding a slice's job id would turn the
   * re-add into a no-op: drop those first (a new run's slices have none).
   */
  private async dropFinished(runId: string, slices: number[]): Promise<void> {
    for (const slice of slices) {
      const job = await this.queue.getJob(sliceJobId(runId, slice));
      if (job?.finishedOn) await job.remove().catch(() => undefined);
    }
  }

  /** Tells every worker at once that a run stopped, so none starts another judge call for it. */
  announceStopped(runId: string): Promise<boolean> {
    const publish = this.queue.client.publish(runControlChannel(this.config), runId);
    return this.withTimeout(
      publish,
      runId,
      'Could not announce a stopped run; workers notice it at their next heartbeat',
    );
  }

  private async withTimeout(work: Promise<unknown>, runId: string, warning: string): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis did not answer within ${ENQUEUE_TIMEOUT_MS} ms`)),
        ENQUEUE_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([work, timeout]);
      return true;
    } catch (error) {
      work.catch(() => undefined);
      this.logger.warn({ err: error, runId }, warning);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}
