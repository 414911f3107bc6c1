import { LoadBudget } from './load-budget';

describe('LoadBudget', () => {
  it('keeps the prefix of a claim that fits, and gives bytes back by item', () => {
    const b = new LoadBudget(100);
    expect(b.take('r', ['a', 'b', 'c'], [40, 50, 20])).toBe(2);
    expect(b.heldBytes).toBe(90);
    expect(b.take('r', ['c'], [20])).toBe(0); // 110 > 100
    b.give('r', ['a']);
    b.give('r', ['a']); // twice: counted once
    b.give('other', ['b']); // another run's item of the same id: not this one
    expect(b.heldBytes).toBe(50);
  });

  it('loads an item heavier than the whole budget alone, once nothing else is held', () => {
    let now = 0;
    const b = new LoadBudget(100, 5_000, () => now);
    expect(b.take('r', ['a'], [10])).toBe(1);
    expect(b.take('r', ['big', 'x'], [500, 1])).toBe(0);
    // Admissions stop while the budget drains for the refused item, even for items that would fit.
    expect(b.hasRoom()).toBe(false);
    expect(b.take('r', ['x'], [1])).toBe(0);
    b.give('r', ['a']);
    expect(b.hasRoom()).toBe(true);
    expect(b.take('r', ['big', 'x'], [500, 1])).toBe(1);
    expect(b.heldBytes).toBe(500);
    expect(b.hasRoom()).toBe(false);
    b.give('r', ['big']);
    now = 6_000;
    expect(b.take('r', ['x', 'y'], [1, 2])).toBe(2);
    expect(b.take('r', ['z'], [50])).toBe(1); // the drain is over: items that fit are admitted again
  });
});
