/**
 * The judging slots of a worker process (EVAL_WORKER_CONCURRENCY), shared by every slice it pumps
 * and handed out **fairly by project**: each pump takes its slots through a `Lane` keyed by its
 * run's project, and when slots are contended a free slot goes to the project that holds the fewest
 * (max-min fairness): a project that asks for slots while another holds them all gets every slot
 * given back until both hold as many, then they alternate. Uncontended, any project may use every
 * slot (work-conserving). Single-threaded JS makes a take atomic.
 */
export class SlotPool {
  private used = 0;
  private waiters: Array<() => void> = [];
  /** Bumped by wakeAll(): a waiter woken by it returns even with no slot free. */
  private wakeups = 0;
  /** Per project: slots held, items waiting for a slot, pumps joined. */
  private readonly keys = new Map<string, KeyState>();

  constructor(readonly capacity: number) {}

  get free(): number {
    return this.capacity - this.used;
  }

  get inUse(): number {
    return this.used;
  }

  /** A pump's handle on the pool, for the project `key`; `leave()` it when the pump ends. */
  join(key: string): Lane {
    const state = this.keys.get(key) ?? { used: 0, demand: 0, lanes: 0 };
    state.lanes += 1;
    this.keys.set(key, state);
    return new Lane(this, key, state);
  }

  /** Slots held by a project's pumps right now. */
  usedBy(key: string): number {
    return this.keys.get(key)?.used ?? 0;
  }

  /**
   * Whether `key` may take a free slot now: never when none is free, nor while another project
   * that waits for a slot holds fewer than `key` does (that one is served first).
   */
  mayTake(key: string): boolean {
    if (this.free <= 0) return false;
    const mine = this.usedBy(key);
    for (const [other, s] of this.keys) {
      if (other !== key && s.demand > 0 && s.used < mine) return false;
    }
    return true;
  }

  /**
   * The slots one pump of `key` should aim for: an equal part of the pool per busy project (one
   * holding or waiting for slots, `key` included), split between that project's pumps.
   */
  shareOf(key: string): number {
    let busy = 0;
    for (const [k, s] of this.keys) if (k === key || s.used > 0 || s.demand > 0) busy += 1;
    const lanes = Math.max(1, this.keys.get(key)?.lanes ?? 1);
    return Math.max(1, Math.floor(this.capacity / Math.max(1, busy) / lanes));
  }

  /** @internal Lane bookkeeping. */
  take(state: KeyState): void {
    this.used += 1;
    state.used += 1;
  }

  /** @internal Lane bookkeeping: gives `n` slots back and wakes every waiter to re-check its turn. */
  give(state: KeyState, n: number): void {
    const given = Math.min(n, state.used);
    state.used -= given;
    this.used = Math.max(0, this.used - given);
    this.wake();
  }

  /** @internal A lane's demand changed: a project that stops waiting may let another take a slot. */
  demandChanged(key: string, state: KeyState, demand: number): void {
    const dropped = demand < state.demand;
    state.demand = demand;
    if (dropped) this.wake();
    if (state.lanes === 0 && state.used === 0 && state.demand === 0) this.keys.delete(key);
  }

  /**
   * Resolves at the next slot given back or demand dropped (the caller re-checks its turn), or at
   * the next wakeAll(); at once when `key` may take a slot already.
   */
  async waitForTurn(key: string): Promise<void> {
    const since = this.wakeups;
    while (!this.mayTake(key) && this.wakeups === since) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Wakes every waiter without releasing anything (a cancel, a budget stop, shutdown). */
  wakeAll(): void {
    this.wakeups += 1;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

interface KeyState {
  used: number;
  demand: number;
  lanes: number;
}

/** One pump's access to the pool: takes and gives slots for its project, says how many it waits for. */
export class Lane {
  private held = 0;
  private demand = 0;
  private left = false;

  constructor(
    readonly pool: SlotPool,
    readonly key: string,
    private readonly state: KeyState,
  ) {}

  get capacity(): number {
    return this.pool.capacity;
  }

  /** Takes one slot if the project's turn allows it. */
  tryTake(): boolean {
    if (this.left || !this.pool.mayTake(this.key)) return false;
    this.pool.take(this.state);
    this.held += 1;
    return true;
  }

  give(n = 1): void {
    const given = Math.min(n, this.held);
    this.held -= given;
    this.pool.give(this.state, given);
  }

  /** How many items this pump has ready and waiting for a slot (0 when it waits for nothing). */
  want(n: number): void {
    if (this.left || n === this.demand) return;
    const total = this.state.demand - this.demand + n;
    this.demand = n;
    this.pool.demandChanged(this.key, this.state, total);
  }

  share(): number {
    return this.pool.shareOf(this.key);
  }

  waitForTurn(): Promise<void> {
    return this.pool.waitForTurn(this.key);
  }

  /** The pump ended: its demand goes, its project's pump count drops (slots still held are given back). */
  leave(): void {
    if (this.left) return;
    this.want(0);
    if (this.held > 0) this.give(this.held);
    this.left = true;
    this.state.lanes -= 1;
    this.pool.demandChanged(this.key, this.state, this.state.demand);
  }
}
