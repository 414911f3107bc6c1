import { Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';

/** A pass every `intervalMs`; the first after `firstAfterMs` (0: at once; default one interval). */
export interface PassSchedule {
  intervalMs: number;
  firstAfterMs?: number;
}

/**
 * A provider that runs a pass on a timer (the eval-run sweeper, the monitor scheduler, retention,
 * the rollup refreshers). One pass at a time per process: a call while a pass runs gets that pass.
 * A failed pass is logged and the next interval retries. The timers are unref'd, so they never keep
 * a process alive, and shutdown waits for the pass in flight, so none meets a closed pool. A timer
 * rather than a repeatable Bull job: flushing Redis cannot remove it.
 */
export abstract class PeriodicPass<T> implements OnApplicationBootstrap, OnModuleDestroy {
  protected readonly logger = new Logger(this.constructor.name);
  private interval?: NodeJS.Timeout;
  private first?: NodeJS.Timeout;
  private inFlight?: Promise<T>;
  private stopped = false;

  /** `failure`: logged with the error when a timer's pass fails. */
  constructor(private readonly failure: string) {}

  /** The timer's schedule, read at start; undefined: passes run only when called. */
  protected abstract schedule(): PassSchedule | undefined;

  protected abstract pass(): Promise<T>;

  onApplicationBootstrap(): void {
    const schedule = this.schedule();
    if (!schedule) return;
    const { intervalMs, firstAfterMs = intervalMs } = schedule;
    const onTimer = () => void this.run().catch((error: unknown) => this.logger.warn({ err: error }, this.failure));
    this.interval = setInterval(onTimer, intervalMs).unref();
    if (firstAfterMs <= 0) onTimer();
    else if (firstAfterMs < intervalMs) this.first = setTimeout(onTimer, firstAfterMs).unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.interval);
    clearTimeout(this.first);
    await this.inFlight?.catch(() => undefined);
  }

  /** The pass in flight, or a new one; rejects as the pass does. */
  run(): Promise<T> {
    this.inFlight ??= this.pass().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** Whether shutdown began: long passes check it between their steps. */
  protected get isStopped(): boolean {
    return this.stopped;
  }
}
