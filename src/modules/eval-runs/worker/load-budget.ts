/**
 * The bytes of traces a worker process holds loaded at once (traces.size_bytes of every claimed,
 * loaded item not yet evaluated), across all its slices: EVAL_WORKER_LOAD_BYTES. A claim keeps the
 * items that fit; one item always fits in an empty budget, so an item heavier than the whole budget
 * (at most MAX_TRACE_BYTES for a trace) is judged alone. It bounds what the worker holds, whatever
 * V8 does with its heap (the worker runs without an old-generation cap: docs/performance.md, sixth pass).
 */
export class LoadBudget {
  private held = 0;
  /** The bytes reserved for each loaded item ("run id/trace id"), given back once it is evaluated or released. */
  private readonly items = new Map<string, number>();
  /** Until when admissions stop so that an item that did not fit gets an empty budget (ms epoch). */
  private drainUntil = 0;

  constructor(
    readonly capacity: number,
    /** How long a refused item holds admissions back for its next claim (a pump retries within ~1 s). */
    private readonly drainMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  get heldBytes(): number {
    return this.held;
  }

  /** Whether a claim can load anything now: some room, and no refused item waiting for the budget to drain. */
  hasRoom(): boolean {
    return this.held === 0 || (this.held < this.capacity && this.now() >= this.drainUntil);
  }

  /**
   * Reserves the longest prefix of `traceIds` (of run `runId`, weighing `sizes`) that fits, the
   * first one always when nothing is held, and returns its length. When not even the first fits,
   * admissions stop for a while so that the budget empties for it.
   */
  take(runId: string, traceIds: string[], sizes: number[]): number {
    if (!this.hasRoom()) return 0;
    let n = 0;
    let sum = 0;
    while (n < sizes.length && (this.held + sum + sizes[n] <= this.capacity || (this.held === 0 && n === 0))) {
      sum += sizes[n];
      n += 1;
    }
    if (n === 0 && sizes.length > 0) this.drainUntil = this.now() + this.drainMs;
    this.held += sum;
    for (let i = 0; i < n; i += 1) this.items.set(`${runId}/${traceIds[i]}`, sizes[i]);
    return n;
  }

  /** Gives back the bytes of items evaluated or released (items not reserved are ignored). */
  give(runId: string, traceIds: string[]): void {
    for (const id of traceIds) {
      const key = `${runId}/${id}`;
      const bytes = this.items.get(key);
      if (bytes === undefined) continue;
      this.items.delete(key);
      this.held -= bytes;
    }
  }
}
