import { mapBounded } from './session-item';

describe('mapBounded (signals of a session, TRACES_AT_ONCE traces at a time)', () => {
  it('never runs more than the limit at once and keeps the input order', async () => {
    let running = 0;
    let most = 0;
    const gates: Array<() => void> = [];
    const result = mapBounded(
      Array.from({ length: 20 }, (_, i) => i),
      8,
      async (n) => {
        running += 1;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => gates.push(resolve));
        running -= 1;
        return n * 2;
      },
    );
    // Release the calls one by one as they arrive: each release lets exactly one more start.
    while (gates.length > 0 || running > 0) {
      await new Promise((r) => setImmediate(r));
      gates.shift()?.();
    }
    expect(await result).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
    expect(most).toBe(8);
  });

  it('handles fewer items than the limit, and none', async () => {
    expect(await mapBounded([1, 2], 8, async (n) => n + 1)).toEqual([2, 3]);
    expect(await mapBounded([], 8, async (n: number) => n)).toEqual([]);
  });
});
