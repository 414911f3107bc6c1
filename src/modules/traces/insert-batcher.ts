/**
 * Natural batching for hot single-row writes: while `maxInFlight` batches are being written,
 * new items wait and leave together in the next batch. No timer: an idle service writes each
 * item at once; a busy one writes many per statement, which is where PostgreSQL and the
 * network stack spend less per item. A failed batch is retried item by item, so one bad item
 * fails only its own caller.
 */
export class InsertBatcher<T, R> {
  private readonly queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;

  constructor(
    private readonly write: (items: T[]) => Promise<R[]>,
    /** Items that must not share a batch (same key) wait for the next one. */
    private readonly keyOf: (item: T) => string,
    private readonly maxBatch = 64,
    private readonly maxInFlight = 2,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.take();
      this.inFlight++;
      void this.flush(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private take() {
    const keys = new Set<string>();
    const batch: typeof this.queue = [];
    for (let i = 0; i < this.queue.length && batch.length < this.maxBatch;) {
      const key = this.keyOf(this.queue[i].item);
      if (keys.has(key)) {
        i++;
        continue;
      }
      keys.add(key);
      batch.push(...this.queue.splice(i, 1));
    }
    return batch;
  }

  private async flush(batch: typeof this.queue): Promise<void> {
    try {
      const results = await this.write(batch.map((b) => b.item));
      batch.forEach((b, i) => b.resolve(results[i]));
    } catch (error) {
      if (batch.length === 1) return batch[0].reject(error);
      for (const b of batch) {
        await this.write([b.item]).then(
          ([r]) => b.resolve(r),
          (e: unknown) => b.reject(e),
        );
      }
    }
  }
}
