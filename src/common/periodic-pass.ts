import type { Logger } from '@nestjs/common';

/**
 * A background pass on a timer (the eval-run sweeper, the monitor scheduler, retention, the rollup
 * refreshers). One at a time per process: a call while a pass runs gets that pass. A failed pass is
 * logged and the next interval retries. The timers are unref'd, so they never keep a process alive,
 * and stop() waits for the pass in flight, so none meets a closed pool at shutdown. A timer rather
 * than a repeatable Bull job: flushing Redis cannot remove it.
 */
export class PeriodicPass<T> {
  private interval?: NodeJS.Timeout;
  private first?: NodeJS.Timeout;
  private inFlight?: Promise<T>;
  private stopped = false;

  constructor(
    private readonly pass: () => Promise<T>,
    private readonly logger: Logger,
    /** Logged with the error when a timer's pass fails. */
    private readonly failure: string,
  ) {}

  /** Whether stop() was called: long passes check it between their steps. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** A pass every `intervalMs`; the first after `firstAfterMs` (0: at once; default one interval). */
  start(intervalMs: number, firstAfterMs = intervalMs): void {
    const onTimer = () => void this.run().catch((error: unknown) => this.logger.warn({ err: error }, this.failure));
    this.interval = setInterval(onTimer, intervalMs).unref();
    if (firstAfterMs <= 0) onTimer();
    else if (firstAfterMs < intervalMs) this.first = setTimeout(onTimer, firstAfterMs).unref();
  }

  /** The pass in flight, or a new one; rejects as the pass does. */
  run(): Promise<T> {
    this.inFlight ??= this.pass().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.interval);
    clearTimeout(this.first);
    await this.inFlight?.catch(() => undefined);
  }
}
