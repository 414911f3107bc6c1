type Entry<T, R> = { item: T; resolve: (r: R) => void; reject: (e: unknown) => void };

/**
 * Natural batching for hot single-row writes: while `maxInFlight` batches are being written,
 * new items wait and leave together in the next batch. No timer: an idle service writes each
 * item at once; a busy one writes many per statement, which is where PostgreSQL and the
 * network stack spend less per item.
 *
 * With `weightOf`, a batch carries at most `maxBatchWeight` (e.g. bytes), and an item that heavy on
 * its own is written by itself, outside the slots: a large trace makes its own statement slow, never
 * a batch of other tenants' traces, and never holds a shared slot.
 *
 * A failed batch leaves its write slot at once and is repaired on a separate lane
 * (`maxRepairsInFlight` slots): it is split in halves until each bad item is alone, about
 * 2·log2(n) writes per bad item instead of n. So a tenant whose traces fail in PostgreSQL costs
 * other tenants neither a write slot nor more than a few extra statements.
 *
 * With `fairness`, a batch holds the items of one group (the project) only, and a group has at most
 * `maxInFlightPerGroup` batches in flight: a tenant whose writes are slow for any reason (lock waits,
 * many spans, a busy table) holds at most that many slots and shares no statement with another
 * tenant, so the remaining slots keep serving everyone else. The next batch goes to the group of the
 * oldest waiting item that may still start one, so groups are served in arrival order.
 */
export interface BatchFairness<T> {
  groupOf: (item: T) => string;
  maxInFlightPerGroup: number;
}

/**
 * A bound on what waits in memory: the weight (bytes) of items submitted and not yet answered. A
 * stalled database would otherwise pile up every request's payload in the process; past the bound,
 * `submit` rejects at once with `refuse()` (a 503 with Retry-After).
 */
export interface BatchBound {
  maxPendingWeight: number;
  refuse: () => Error;
}

export class InsertBatcher<T, R> {
  private readonly queue: Entry<T, R>[] = [];
  private readonly repairs: Entry<T, R>[][] = [];
  private readonly inFlightByGroup = new Map<string, number>();
  private inFlight = 0;
  private inFlightItems = 0;
  private repairing = 0;
  private pendingWeight = 0;
  /** What happened so far (tests and operators read it). */
  readonly stats = { batches: 0, failedBatches: 0, repairWrites: 0, peakRepairing: 0, soloWrites: 0 };

  constructor(
    private readonly write: (items: T[]) => Promise<R[]>,
    /** Items that must not share a batch (same key) wait for the next one. */
    private readonly keyOf: (item: T) => string,
    private readonly maxBatch = 64,
    private readonly maxInFlight = 2,
    private readonly maxRepairsInFlight = 1,
    private readonly weight: { of: (item: T) => number; maxBatch: number } = { of: () => 0, maxBatch: Infinity },
    private readonly fairness: BatchFairness<T> = { groupOf: () => '', maxInFlightPerGroup: maxInFlight },
    private readonly bound: BatchBound = { maxPendingWeight: Infinity, refuse: () => new Error('queue full') },
  ) {}

  submit(item: T): Promise<R> {
    const weight = this.weight.of(item);
    if (this.pendingWeight > 0 && this.pendingWeight + weight > this.bound.maxPendingWeight) {
      return Promise.reject(this.bound.refuse());
    }
    this.pendingWeight += weight;
    const answered = () => {
      this.pendingWeight -= weight;
    };
    if (weight >= this.weight.maxBatch) {
      this.stats.soloWrites++;
      return this.write([item])
        .then(([r]) => r)
        .finally(answered);
    }
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    }).finally(answered);
  }

  /** Bytes (weight) submitted and not yet answered. */
  get pendingBytes(): number {
    return this.pendingWeight;
  }

  /** Write slots of the main lane in use now. */
  get busySlots(): number {
    return this.inFlight;
  }

  /** Items submitted to the main lane and not yet answered: waiting, or in a batch being written. */
  get pendingItems(): number {
    return this.queue.length + this.inFlightItems;
  }

  /** Main-lane slots a group's batches hold now. */
  slotsHeldBy(group: string): number {
    return this.inFlightByGroup.get(group) ?? 0;
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight) {
      const group = this.nextGroup();
      if (group === undefined) return;
      const batch = this.take(group);
      this.inFlight++;
      this.inFlightItems += batch.length;
      this.inFlightByGroup.set(group, this.slotsHeldBy(group) + 1);
      void this.flush(batch).finally(() => {
        this.inFlight--;
        this.inFlightItems -= batch.length;
        const held = this.slotsHeldBy(group) - 1;
        if (held > 0) this.inFlightByGroup.set(group, held);
        else this.inFlightByGroup.delete(group);
        this.pump();
      });
    }
  }

  /** The group of the oldest waiting item whose group may start another batch. */
  private nextGroup(): string | undefined {
    for (const entry of this.queue) {
      const group = this.fairness.groupOf(entry.item);
      if (this.slotsHeldBy(group) < this.fairness.maxInFlightPerGroup) return group;
    }
    return undefined;
  }

  private take(group: string): Entry<T, R>[] {
    const keys = new Set<string>();
    const batch: Entry<T, R>[] = [];
    let weight = 0;
    for (let i = 0; i < this.queue.length && batch.length < this.maxBatch;) {
      const key = this.keyOf(this.queue[i].item);
      const itemWeight = this.weight.of(this.queue[i].item);
      const otherGroup = this.fairness.groupOf(this.queue[i].item) !== group;
      if (otherGroup || keys.has(key) || (batch.length > 0 && weight + itemWeight > this.weight.maxBatch)) {
        i++;
        continue;
      }
      keys.add(key);
      weight += itemWeight;
      batch.push(...this.queue.splice(i, 1));
    }
    return batch;
  }

  private async flush(batch: Entry<T, R>[]): Promise<void> {
    this.stats.batches++;
    try {
      const results = await this.write(batch.map((b) => b.item));
      batch.forEach((b, i) => b.resolve(results[i]));
    } catch (error) {
      if (batch.length === 1) return batch[0].reject(error);
      this.stats.failedBatches++;
      this.repairs.push(batch); // the slot is released when this returns
      this.pumpRepairs();
    }
  }

  private pumpRepairs(): void {
    while (this.repairing < this.maxRepairsInFlight && this.repairs.length > 0) {
      const batch = this.repairs.shift()!;
      this.repairing++;
      this.stats.peakRepairing = Math.max(this.stats.peakRepairing, this.repairing);
      void this.bisect(batch).finally(() => {
        this.repairing--;
        this.pumpRepairs();
      });
    }
  }

  private async bisect(batch: Entry<T, R>[]): Promise<void> {
    const middle = Math.ceil(batch.length / 2);
    for (const half of [batch.slice(0, middle), batch.slice(middle)]) {
      this.stats.repairWrites++;
      try {
        const results = await this.write(half.map((b) => b.item));
        half.forEach((b, i) => b.resolve(results[i]));
      } catch (error) {
        if (half.length === 1) half[0].reject(error);
        else await this.bisect(half);
      }
    }
  }
}
