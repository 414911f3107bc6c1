import { SlotPool } from './slot-pool';

describe('SlotPool', () => {
  it('reserves at most the free slots and wakes waiters on release', async () => {
    const pool = new SlotPool(4);
    expect(pool.reserve(3)).toBe(3);
    expect(pool.reserve(3)).toBe(1);
    expect(pool.free).toBe(0);
    let woke = false;
    const waiting = pool.waitForFree(2).then(() => (woke = true));
    pool.release(1);
    await Promise.resolve();
    expect(woke).toBe(false);
    pool.release(1);
    await waiting;
    expect(woke).toBe(true);
    expect(pool.inUse).toBe(2);
  });

  it('never goes below zero and caps a wait at the capacity', async () => {
    const pool = new SlotPool(2);
    pool.release(5);
    expect(pool.free).toBe(2);
    await pool.waitForFree(10);
  });
});
