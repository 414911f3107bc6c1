import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Queue } from 'bull';
import type { Redis } from 'ioredis';
import { APP_CONFIG } from '../../../config/config.module';
import type { AppConfig } from '../../../config/env';
import { EVAL_RUNS_QUEUE } from '../../../queue/queue.constants';
import { runControlChannel } from '../eval-runs.producer';
import { EvalRunExecutor } from './eval-run.executor';

/**
 * Hears the API announce a stopped (cancelled) run over Redis pub/sub and stops it in this
 * process at once. A missed message only delays this: the lease heartbeat also reads the run's status.
 */
@Injectable()
export class RunControlListener implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RunControlListener.name);
  private subscriber?: Redis;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectQueue(EVAL_RUNS_QUEUE) private readonly queue: Queue,
    private readonly executor: EvalRunExecutor,
  ) {}

  onApplicationBootstrap(): void {
    const sub = (this.subscriber = this.queue.client.duplicate() as unknown as Redis);
    sub.on('error', (err) => this.logger.warn({ err }, 'Run-control subscription error'));
    sub.on('message', (_channel: string, runId: string) => this.executor.stopRun(runId, 'run CANCELLED'));
    sub
      .subscribe(runControlChannel(this.config))
      .catch((err: unknown) =>
        this.logger.warn({ err }, 'Could not subscribe to run control; cancels are noticed at the heartbeat'),
      );
  }

  async onModuleDestroy(): Promise<void> {
    this.subscriber?.disconnect();
  }
}
