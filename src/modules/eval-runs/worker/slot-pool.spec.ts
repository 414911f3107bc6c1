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

  it('wakeAll() ends every wait at once, with no slot free (a stopped pump gives back its prefetch)', async () => {
    const pool = new SlotPool(2);
    pool.reserve(2);
    let woke = 0;
    const waits = [pool.waitForFree(1), pool.waitForFree(2)].map((w) => w.then(() => (woke += 1)));
    await Promise.resolve();
    expect(woke).toBe(0);
    pool.wakeAll();
    await Promise.all(waits);
    expect(woke).toBe(2);
    expect(pool.free).toBe(0);
    // A wait that starts after the wake-up waits for a slot again.
    let later = false;
    const next = pool.waitForFree(1).then(() => (later = true));
    await new Promise((r) => setImmediate(r));
    expect(later).toBe(false);
    pool.release(1);
    await next;
  });
});
