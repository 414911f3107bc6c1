import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { APP_CONFIG } from '../../../config/config.module';
import type { AppConfig } from '../../../config/env';
import { EVAL_RUNS_QUEUE, EVALUATE_ITEMS_JOB } from '../../../queue/queue.constants';
import { EvalRunsProducer } from '../eval-runs.producer';
import type { EvaluateItemsJob } from '../jobs/evaluate-items.job';
import { EvalRunExecutor } from './eval-run.executor';

/**
 * Consumes EVALUATE_ITEMS_JOB: each job is one slice of a run, and stays active (Bull renews its
 * lock) while the slice's items are judged, reporting `job.progress()`. If this process dies, Bull's
 * stalled-job check hands the job to another worker; the ledger's leases and the unique score key
 * keep the scores exactly-once. EVAL_JOB_CONCURRENCY jobs run at once per process, sharing the
 * EVAL_WORKER_CONCURRENCY judging slots fairly by project. When a slice is done, its project's next
 * slice is enqueued (the project's window moves on; see SliceWindow), behind other projects' jobs.
 *
 * Registered with Bull's own `queue.process(name, concurrency, handler)` at module init rather than
 * with `@Process`: a decorator's arguments are fixed when the class is declared, and the concurrency
 * comes from configuration.
 */
@Injectable()
export class EvalRunProcessor implements OnModuleInit, OnModuleDestroy {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectQueue(EVAL_RUNS_QUEUE) private readonly queue: Queue<EvaluateItemsJob>,
    private readonly executor: EvalRunExecutor,
    private readonly producer: EvalRunsProducer,
  ) {}

  /** Told when a job starts and ends: the worker's collection at rest (src/bootstrap/idle-gc.ts). */
  activity?: { started(): void; ended(): void };

  onModuleInit(): void {
    void this.queue.process(EVALUATE_ITEMS_JOB, this.config.evalRuns.jobConcurrency, (job) => this.handle(job));
  }

  async handle(job: Job<EvaluateItemsJob>): Promise<void> {
    const { runId, slice } = job.data ?? ({} as Partial<EvaluateItemsJob>);
    if (typeof runId !== 'string') return;
    this.activity?.started();
    try {
      await this.executor.runSlice(runId, typeof slice === 'number' ? slice : 0, (percent) => job.progress(percent));
      // Also after a cancel or a budget stop: the project's later runs take the freed room.
      if (!this.executor.isStopping) await this.producer.enqueueRun(runId);
    } finally {
      this.activity?.ended();
    }
  }

  /** At shutdown, take no new job (the executor lets the active ones wind down). */
  async onModuleDestroy(): Promise<void> {
    await this.queue.pause(true, true).catch(() => undefined);
  }
}
