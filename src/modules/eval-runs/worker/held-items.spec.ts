import { HeldItems } from './held-items';

describe('HeldItems', () => {
  it('lists exactly what was added and not removed, across runs', () => {
    const held = new HeldItems();
    held.add('r1', ['a', 'b']);
    held.add('r2', ['c']);
    held.remove('r1', ['a']);
    held.remove('r3', ['x']);
    expect(held.list()).toEqual([
      { runId: 'r1', traceId: 'b' },
      { runId: 'r2', traceId: 'c' },
    ]);
    expect(held.size).toBe(2);
    expect(held.has('r1', 'a')).toBe(false);
    held.remove('r1', ['b']);
    held.remove('r2', ['c']);
    expect(held.size).toBe(0);
    expect(held.list()).toEqual([]);
  });
});
