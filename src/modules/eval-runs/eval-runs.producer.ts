import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bull';
import { EVAL_RUNS_QUEUE, EVALUATE_ITEMS_JOB } from '../../queue/queue.constants';
import type { EvaluateItemsJob } from './jobs/evaluate-items.job';

/** How long the API waits for Redis before answering anyway; the sweeper enqueues what was missed. */
const ENQUEUE_TIMEOUT_MS = 2_000;

/** Owns the eval-runs queue on the producing side. */
@Injectable()
export class EvalRunsProducer {
  private readonly logger = new Logger(EvalRunsProducer.name);

  constructor(@InjectQueue(EVAL_RUNS_QUEUE) private readonly queue: Queue<EvaluateItemsJob>) {}

  /**
   * Wakes workers for a run. `key` makes the job id unique per purpose (e.g. `c0` at creation, the
   * sweep generation later), so concurrent sweepers of one tick add one job, not several.
   * Never throws: a lost wake-up only delays the run until the next sweep.
   */
  async wake(runId: string, key: string): Promise<boolean> {
    const add = this.queue.add(EVALUATE_ITEMS_JOB, { runId }, { jobId: `${runId}:${key}`, attempts: 1 });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`enqueue timed out after ${ENQUEUE_TIMEOUT_MS} ms`)),
        ENQUEUE_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([add, timeout]);
      return true;
    } catch (error) {
      add.catch(() => undefined);
      this.logger.warn({ err: error, runId }, 'Could not enqueue eval-run work; the sweeper will pick the run up');
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}
