/**
 * The ledger items a worker process holds a lease on and still tracks: claimed, waiting in the
 * prefetch, being judged or waiting in a write batch. The heartbeat renews exactly these; an item
 * is removed when it is settled, released, or given up on (its lease then expires).
 */
export class HeldItems {
  private readonly byRun = new Map<string, Set<string>>();

  get size(): number {
    let n = 0;
    for (const ids of this.byRun.values()) n += ids.size;
    return n;
  }

  add(runId: string, traceIds: string[]): void {
    if (traceIds.length === 0) return;
    let ids = this.byRun.get(runId);
    if (!ids) this.byRun.set(runId, (ids = new Set()));
    for (const id of traceIds) ids.add(id);
  }

  remove(runId: string, traceIds: string[]): void {
    const ids = this.byRun.get(runId);
    if (!ids) return;
    for (const id of traceIds) ids.delete(id);
    if (ids.size === 0) this.byRun.delete(runId);
  }

  has(runId: string, traceId: string): boolean {
    return this.byRun.get(runId)?.has(traceId) ?? false;
  }

  list(): Array<{ runId: string; traceId: string }> {
    const out: Array<{ runId: string; traceId: string }> = [];
    for (const [runId, ids] of this.byRun) for (const traceId of ids) out.push({ runId, traceId });
    return out;
  }
}
