import { Lane, SlotPool } from './slot-pool';

/** Takes slots for `lane` until the pool refuses; returns how many it took. */
function takeAll(lane: Lane): number {
  let n = 0;
  while (lane.tryTake()) n += 1;
  return n;
}

/** A pool of `size` slots that project A (wanting `aWants`) took all of, and project B joining it wanting `bWants`. */
function takenByA(size: number, aWants: number, bWants: number) {
  const pool = new SlotPool(size);
  const a = pool.join('A');
  a.want(aWants);
  const taken = takeAll(a);
  const b = pool.join('B');
  b.want(bWants);
  return { pool, a, b, taken };
}

describe('SlotPool: slots shared fairly by project', () => {
  it('lets one project use every slot while no other asks (work-conserving)', () => {
    const pool = new SlotPool(8);
    const a = pool.join('A');
    a.want(20);
    expect(takeAll(a)).toBe(8);
    expect(pool.free).toBe(0);
    expect(a.share()).toBe(8);
  });

  it('gives every slot given back to a newcomer until both hold as many, then keeps them even', () => {
    const { pool, a, b, taken } = takenByA(8, 100, 20);
    expect(taken).toBe(8);
    // Its share is half the pool from the moment it asks.
    expect(b.share()).toBe(4);
    expect(a.share()).toBe(4);

    const grants: string[] = [];
    for (let i = 0; i < 8; i++) {
      a.give(1);
      // A asks first each time, but B (fewer slots, waiting) is served until they are even.
      if (a.tryTake()) grants.push('A');
      if (b.tryTake()) grants.push('B');
    }
    expect(grants).toEqual(['B', 'B', 'B', 'B', 'A', 'A', 'A', 'A']);
    expect(pool.usedBy('A')).toBe(4);
    expect(pool.usedBy('B')).toBe(4);
    // Even: whoever gives a slot back has fewer, and gets the next one.
    b.give(1);
    expect(a.tryTake()).toBe(false);
    expect(b.tryTake()).toBe(true);
  });

  it('counts a project once however many pumps (slices) it has', () => {
    const pool = new SlotPool(12);
    const a1 = pool.join('A');
    const a2 = pool.join('A');
    const a3 = pool.join('A');
    for (const l of [a1, a2, a3]) l.want(10);
    takeAll(a1);
    expect(pool.usedBy('A')).toBe(12);
    const b = pool.join('B');
    b.want(10);
    // Each of A's three pumps aims at a third of A's half; B's one pump at B's half.
    expect(a2.share()).toBe(2);
    expect(b.share()).toBe(6);
    for (let i = 0; i < 6; i++) {
      a1.give(1);
      expect(a2.tryTake()).toBe(false);
      expect(a3.tryTake()).toBe(false);
      expect(b.tryTake()).toBe(true);
    }
    expect(pool.usedBy('B')).toBe(6);
  });

  it('a project that stops asking no longer holds the others back, and its pumps leaving forget it', () => {
    const { pool, a, b } = takenByA(4, 10, 1);
    a.give(1);
    expect(a.tryTake()).toBe(false);
    b.want(0);
    expect(a.tryTake()).toBe(true);
    b.leave();
    expect(a.share()).toBe(4);
    a.leave();
    expect(pool.inUse).toBe(0);
  });

  it('waitForTurn resolves once the project may take a slot, and wakeAll ends every wait', async () => {
    const { pool, a, b } = takenByA(2, 5, 1);
    let bTurn = false;
    const waiting = b.waitForTurn().then(() => (bTurn = true));
    await Promise.resolve();
    expect(bTurn).toBe(false);
    a.give(1);
    await waiting;
    expect(b.tryTake()).toBe(true);

    // No slot free: A waits until a wake-up (a cancel, shutdown) ends the wait without a slot.
    let woke = false;
    const stopped = a.waitForTurn().then(() => (woke = true));
    await new Promise((r) => setImmediate(r));
    expect(woke).toBe(false);
    pool.wakeAll();
    await stopped;
    expect(pool.free).toBe(0);
  });

  it('never gives back more than a lane holds', () => {
    const pool = new SlotPool(2);
    const a = pool.join('A');
    const b = pool.join('B');
    expect(a.tryTake()).toBe(true);
    b.give(5);
    expect(pool.inUse).toBe(1);
    a.give(5);
    expect(pool.inUse).toBe(0);
  });
});
