/**
 * A counting semaphore shared by every run a worker process executes: at most `capacity` items
 * are in flight at once (EVAL_WORKER_CONCURRENCY). Single-threaded JS makes reserve() atomic.
 */
export class SlotPool {
  private used = 0;
  private waiters: Array<() => void> = [];
  /** Bumped by wakeAll(): a waiter woken by it returns even with no slot free. */
  private wakeups = 0;

  constructor(readonly capacity: number) {}

  get free(): number {
    return this.capacity - this.used;
  }

  get inUse(): number {
    return this.used;
  }

  /** Takes up to `max` free slots (possibly 0) and returns how many were taken. */
  reserve(max: number): number {
    const n = Math.max(0, Math.min(max, this.free));
    this.used += n;
    return n;
  }

  release(n = 1): void {
    this.used = Math.max(0, this.used - n);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Resolves once at least `min` slots are free (or the pool is entirely free), or at the next
   * wakeAll(): the caller then re-checks whether it should still wait (its run may have stopped).
   */
  async waitForFree(min = 1): Promise<void> {
    const need = Math.min(Math.max(1, min), this.capacity);
    const since = this.wakeups;
    while (this.free < need && this.wakeups === since) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Wakes every waiter without releasing anything (a cancel, a budget stop, shutdown). */
  wakeAll(): void {
    this.wakeups += 1;
    this.release(0);
  }
}
