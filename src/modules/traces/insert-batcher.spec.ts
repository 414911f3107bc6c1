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

  it('retries a failed batch item by item, so only the bad item fails its caller', async () => {
    const w = recordingWriter((item) => item === 'bad');
    const batcher = new InsertBatcher<string, string>(w.write, (s) => s, 64, 1);
    w.hold();
    const first = batcher.submit('a');
    const results = ['b', 'bad', 'c'].map((x) => batcher.submit(x).catch((e: Error) => e.message));
    w.release();
    await first;
    expect(await Promise.all(results)).toEqual(['ok:b', 'bad batch bad', 'ok:c']);
  });
});
