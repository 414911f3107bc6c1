import { InsertBatcher } from './insert-batcher';

/** A writer that records its batches and can be held open or told to fail. */
function recordingWriter(failOn?: (item: string) => boolean) {
  const batches: string[][] = [];
  let release: () => void = () => undefined;
  let gate = Promise.resolve();
  const write = async (items: string[]) => {
    batches.push(items);
    await gate;
    if (failOn && items.some(failOn)) throw new Error(`bad batch ${items.join(',')}`);
    return items.map((i) => `ok:${i}`);
  };
  const hold = () => {
    gate = new Promise<void>((r) => (release = r));
  };
  return { batches, write, hold, release: () => release() };
}

describe('InsertBatcher', () => {
  it('writes at once when idle, and batches what arrives while a write is in flight', async () => {
    const w = recordingWriter();
    const batcher = new InsertBatcher<string, string>(w.write, (s) => s, 64, 1);
    w.hold();
    const first = batcher.submit('a');
    const rest = ['b', 'c', 'd'].map((x) => batcher.submit(x));
    w.release();
    expect(await first).toBe('ok:a');
    expect(await Promise.all(rest)).toEqual(['ok:b', 'ok:c', 'ok:d']);
    expect(w.batches).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('never puts two items with the same key in one batch', async () => {
    const w = recordingWriter();
    const batcher = new InsertBatcher<string, string>(w.write, (s) => s.split('#')[0], 64, 1);
    w.hold();
    const all = [batcher.submit('x#0'), batcher.submit('y#1'), batcher.submit('y#2'), batcher.submit('z#3')];
    w.release();
    await Promise.all(all);
    expect(w.batches).toEqual([['x#0'], ['y#1', 'z#3'], ['y#2']]);
  });

  it('caps the batch size', async () => {
    const w = recordingWriter();
    const batcher = new InsertBatcher<string, string>(w.write, (s) => s, 2, 1);
    w.hold();
    const all = ['a', 'b', 'c', 'd', 'e'].map((x) => batcher.submit(x));
    w.release();
    await Promise.all(all);
    expect(w.batches.map((b) => b.length)).toEqual([1, 2, 2]);
  });

  it('repairs a failed batch by halves, so only the bad item fails its caller', async () => {
    const w = recordingWriter((item) => item === 'bad');
    const batcher = new InsertBatcher<string, string>(w.write, (s) => s, 64, 1);
    w.hold();
    const first = batcher.submit('a');
    const results = ['b', 'bad', 'c'].map((x) => batcher.submit(x).catch((e: Error) => e.message));
    w.release();
    await first;
    expect(await Promise.all(results)).toEqual(['ok:b', 'bad batch bad', 'ok:c']);
  });

  it('isolates one bad item of 64 in a dozen writes, not 64', async () => {
    const w = recordingWriter((item) => item === 'bad');
    const batcher = new InsertBatcher<string, string>(w.write, (s) => s, 64, 1);
    w.hold();
    const first = batcher.submit('first');
    const items = Array.from({ length: 64 }, (_, i) => (i === 41 ? 'bad' : `i${i}`));
    const results = items.map((x) => batcher.submit(x).catch((e: Error) => e.message));
    w.release();
    await first;
    const out = await Promise.all(results);
    expect(out.filter((r) => r.startsWith('bad batch'))).toEqual(['bad batch bad']);
    expect(out.filter((r) => r.startsWith('ok:'))).toHaveLength(63);
    expect(batcher.stats.failedBatches).toBe(1);
    expect(batcher.stats.repairWrites).toBeLessThanOrEqual(2 * Math.log2(64));
  });

  it('a failed batch leaves its write slot at once: new items are written while its repair is held', async () => {
    const batches: string[][] = [];
    let releaseRepair: () => void = () => undefined;
    const repairGate = new Promise<void>((r) => (releaseRepair = r));
    let releaseFirst: () => void = () => undefined;
    const firstGate = new Promise<void>((r) => (releaseFirst = r));
    const poisoned = ['b', 'bad', 'c'];
    const write = async (items: string[]) => {
      batches.push(items);
      if (items[0] === 'first') await firstGate;
      const isRepair = items.length < poisoned.length && items.every((i) => poisoned.includes(i));
      if (isRepair) await repairGate;
      if (items.includes('bad')) throw new Error('bad batch');
      return items.map((i) => `ok:${i}`);
    };
    const batcher = new InsertBatcher<string, string>(write, (s) => s, 64, 1);
    const first = batcher.submit('first');
    const settled = poisoned.map((x) => batcher.submit(x).catch((e: Error) => e.message));
    releaseFirst();
    await first;
    while (batcher.stats.failedBatches === 0) await new Promise((r) => setImmediate(r));
    // The poisoned batch failed and waits on the repair lane; the only main slot is free again.
    expect(batcher.stats.failedBatches).toBe(1);
    expect(batcher.busySlots).toBe(0);
    expect(await batcher.submit('other-tenant')).toBe('ok:other-tenant');
    releaseRepair();
    expect(await Promise.all(settled)).toEqual(['ok:b', 'bad batch', 'ok:c']);
    expect(batcher.stats.peakRepairing).toBe(1);
  });

  it('with weights: batches stay under the cap, and an item that heavy is written alone without a slot', async () => {
    const w = recordingWriter();
    const weight = { of: (s: string) => Number(s.split(':')[1]), maxBatch: 100 };
    const batcher = new InsertBatcher<string, string>(w.write, (s) => s, 64, 1, 1, weight);
    w.hold();
    const first = batcher.submit('first:1');
    const queued = ['a:40', 'b:40', 'c:40', 'd:10'].map((x) => batcher.submit(x));
    // The main slot is held by 'first'; a heavy item does not wait for it.
    const heavy = batcher.submit('heavy:500');
    expect(w.batches).toEqual([['first:1'], ['heavy:500']]);
    w.release();
    expect(await heavy).toBe('ok:heavy:500');
    await Promise.all([first, ...queued]);
    expect(w.batches.slice(2)).toEqual([['a:40', 'b:40', 'd:10'], ['c:40']]);
    expect(batcher.stats.soloWrites).toBe(1);
  });

  it('with fairness: a group whose writes hang holds at most its share of slots, and other groups keep writing', async () => {
    const batches: string[][] = [];
    let releaseSlow: () => void = () => undefined;
    const slowGate = new Promise<void>((r) => (releaseSlow = r));
    const write = async (items: string[]) => {
      batches.push(items);
      if (items.some((i) => i.startsWith('slow:'))) await slowGate;
      return items.map((i) => `ok:${i}`);
    };
    const fairness = { groupOf: (s: string) => s.split(':')[0], maxInFlightPerGroup: 2 };
    const batcher = new InsertBatcher<string, string>(write, (s) => s, 64, 3, 1, undefined, fairness);
    const slow = ['slow:1', 'slow:2', 'slow:3', 'slow:4'].map((x) => batcher.submit(x));
    // The slow group started two batches (slow:1 alone, then slow:2..4 together would need a third).
    expect(batcher.slotsHeldBy('slow')).toBe(2);
    expect(batcher.busySlots).toBe(2);
    // Another group's items never join the slow group's batches and get the free slot at once.
    expect(await batcher.submit('fast:1')).toBe('ok:fast:1');
    expect(await batcher.submit('fast:2')).toBe('ok:fast:2');
    expect(batches.filter((b) => b.some((i) => i.startsWith('fast:')))).toEqual([['fast:1'], ['fast:2']]);
    releaseSlow();
    expect(await Promise.all(slow)).toEqual(['ok:slow:1', 'ok:slow:2', 'ok:slow:3', 'ok:slow:4']);
    expect(batcher.pendingItems).toBe(0);
    expect(batcher.busySlots).toBe(0);
  });

  it('with fairness: batches never mix groups, and groups are served in arrival order', async () => {
    const w = recordingWriter();
    const fairness = { groupOf: (s: string) => s.split(':')[0], maxInFlightPerGroup: 1 };
    const batcher = new InsertBatcher<string, string>(w.write, (s) => s, 64, 1, 1, undefined, fairness);
    w.hold();
    const all = ['a:1', 'b:1', 'a:2', 'c:1', 'b:2'].map((x) => batcher.submit(x));
    w.release();
    await Promise.all(all);
    expect(w.batches).toEqual([['a:1'], ['b:1', 'b:2'], ['a:2'], ['c:1']]);
  });
});
