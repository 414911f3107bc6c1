/**
 * Admission per key, in this process: at most `maxActive` holders of a key at once and at most
 * `maxWaiting` callers queued behind them (in memory, holding nothing else). A caller beyond that is
 * refused at once (`tryEnter` returns null), so a hot key costs its own tenant refusals, never a
 * queue of pooled connections that every other tenant waits behind.
 */
export class KeyedGate {
  private readonly keys = new Map<string, { active: number; waiting: Array<() => void> }>();

  constructor(
    private readonly maxActive: number,
    private readonly maxWaiting: number,
  ) {}

  /** A promise of the release function, or null when the key's queue is full. */
  tryEnter(key: string): Promise<() => void> | null {
    let state = this.keys.get(key);
    if (!state) this.keys.set(key, (state = { active: 0, waiting: [] }));
    const entered = state;
    const release = () => {
      const next = entered.waiting.shift();
      if (next) return next(); // the slot passes to the next waiter
      entered.active--;
      if (entered.active === 0) this.keys.delete(key);
    };
    const once = () => {
      let done = false;
      return () => {
        if (done) return;
        done = true;
        release();
      };
    };
    if (entered.active < this.maxActive) {
      entered.active++;
      return Promise.resolve(once());
    }
    if (entered.waiting.length >= this.maxWaiting) return null;
    return new Promise((resolve) => entered.waiting.push(() => resolve(once())));
  }

  /** Holders of a key now (tests and operators). */
  activeFor(key: string): number {
    return this.keys.get(key)?.active ?? 0;
  }
}
