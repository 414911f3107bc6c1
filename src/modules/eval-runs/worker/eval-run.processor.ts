import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { EVAL_RUNS_QUEUE, EVALUATE_ITEMS_JOB } from '../../../queue/queue.constants';
import type { EvaluateItemsJob } from '../jobs/evaluate-items.job';
import { EvalRunExecutor } from './eval-run.executor';

/** Bull jobs handled at once per process; each only starts (or joins) a run's pump. */
const JOB_CONCURRENCY = 16;

/**
 * Consumes EVALUATE_ITEMS_JOB wake-ups. The job only says "run X has open items": the processor
 * hands the run to the executor, which works from the ledger and does not hold the job while it
 * runs, so a lost, duplicated or re-delivered job neither loses nor repeats work.
 */
@Injectable()
export class EvalRunProcessor implements OnApplicationBootstrap {
  private readonly logger = new Logger(EvalRunProcessor.name);

  constructor(
    @InjectQueue(EVAL_RUNS_QUEUE) private readonly queue: Queue<EvaluateItemsJob>,
    private readonly executor: EvalRunExecutor,
  ) {}

  onApplicationBootstrap(): void {
    void this.queue
      .process(EVALUATE_ITEMS_JOB, JOB_CONCURRENCY, (job: Job<EvaluateItemsJob>) => this.handle(job))
      .catch((error: unknown) => this.logger.error({ err: error }, 'Eval-run queue consumer stopped'));
  }

  private async handle(job: Job<EvaluateItemsJob>): Promise<void> {
    const runId = job.data?.runId;
    if (typeof runId !== 'string') return;
    // Not awaited: the pump outlives the job, which completes at once.
    void this.executor.drain(runId);
  }
}
