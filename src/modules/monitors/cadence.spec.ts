import { CadenceError, nextSlot, parseCadence } from './cadence';

const T = (iso: string) => new Date(iso);

describe('cadence parsing', () => {
  it.each([
    ['every_6h', 'every_6h'],
    ['daily', 'daily'],
    [' weekly ', 'weekly'],
    ['every_15m', 'every_15m'],
    ['every_2h', 'every_2h'],
    ['cron:0 9 * * 1-5', 'cron:0 9 * * 1-5'],
    ['cron:   0   3 *  * *  ', 'cron:0 3 * * *'],
    ['cron:*/10 * * * *', 'cron:*/10 * * * *'],
  ])('accepts %j as %j', (raw, text) => {
    expect(parseCadence(raw).text).toBe(text);
  });

  it.each([
    'biweekly',
    'custom',
    '',
    'cron:',
    'cron:0 9 * *',
    'cron:0 0 9 * * *',
    'cron:61 * * * *',
    'cron:0 0 30 2 *',
    'cron:@daily',
    'every_0m',
    'every_5s',
    'every_700h',
    'every_6H',
    'DAILY',
  ])('refuses %j', (raw) => {
    expect(() => parseCadence(raw)).toThrow(CadenceError);
  });

  it('refuses a non-string', () => {
    expect(() => parseCadence(6)).toThrow(CadenceError);
  });
});

describe('next slot (fixed clocks)', () => {
  const anchor = T('2026-03-01T10:07:00Z');

  it('interval slots sit on the anchor grid, whatever the time of the question', () => {
    const c = parseCadence('every_6h');
    expect(nextSlot(c, anchor, anchor).toISOString()).toBe('2026-03-01T16:07:00.000Z');
    expect(nextSlot(c, anchor, T('2026-03-01T16:06:59Z')).toISOString()).toBe('2026-03-01T16:07:00.000Z');
    // Exactly on a slot: the next one (strictly after).
    expect(nextSlot(c, anchor, T('2026-03-01T16:07:00Z')).toISOString()).toBe('2026-03-01T22:07:00.000Z');
    // A tick 4 minutes late does not shift the grid (no drift).
    expect(nextSlot(c, anchor, T('2026-03-01T16:11:00Z')).toISOString()).toBe('2026-03-01T22:07:00.000Z');
  });

  it('after downtime the next slot is the first one in the future (missed slots are not replayed)', () => {
    const c = parseCadence('daily');
    expect(nextSlot(c, anchor, T('2026-03-09T12:00:00Z')).toISOString()).toBe('2026-03-10T10:07:00.000Z');
  });

  it('a time before the anchor gives the first slot after it', () => {
    expect(nextSlot(parseCadence('weekly'), anchor, T('2026-01-01T00:00:00Z')).toISOString()).toBe(
      '2026-03-08T10:07:00.000Z',
    );
  });

  it('every_<n>m uses minutes', () => {
    expect(nextSlot(parseCadence('every_15m'), anchor, T('2026-03-01T10:30:00Z')).toISOString()).toBe(
      '2026-03-01T10:37:00.000Z',
    );
  });

  it('cron slots are UTC and ignore the anchor', () => {
    const c = parseCadence('cron:0 9 * * 1-5');
    // 2026-03-06 is a Friday: the next weekday 09:00 after Friday 09:00 is Monday.
    expect(nextSlot(c, anchor, T('2026-03-06T09:00:00Z')).toISOString()).toBe('2026-03-09T09:00:00.000Z');
    expect(nextSlot(c, anchor, T('2026-03-06T08:59:59Z')).toISOString()).toBe('2026-03-06T09:00:00.000Z');
  });
});
