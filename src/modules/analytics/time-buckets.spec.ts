import { RequestValidationError } from '../../common/validation/validation';
import { checkWindow, isIanaTimeZone, MAX_BUCKETS } from './time-buckets';

describe('isIanaTimeZone', () => {
  it.each(['UTC', 'Europe/Berlin', 'America/Argentina/Salta', 'Asia/Kolkata', 'Etc/GMT+3', 'America/New_York'])(
    'accepts %p',
    (tz) => expect(isIanaTimeZone(tz)).toBe(true),
  );
  it.each(['', 'Mars/Olympus_Mons', '+05:00', 'UTC+3', 'GMT-2', 'Europe/../etc', 'Europe/Berlin ', 'x'.repeat(65), 3])(
    'refuses %p',
    (tz) => expect(isIanaTimeZone(tz)).toBe(false),
  );
});

describe('checkWindow', () => {
  const fields = { from: 'from', to: 'to' };
  const fieldOf = (fn: () => void) => {
    try {
      fn();
      return null;
    } catch (e) {
      return (e as RequestValidationError).errors.map((x) => x.field);
    }
  };

  it('accepts a window up to the bucket limit and refuses one beyond it', () => {
    const from = '2026-01-01T00:00:00Z';
    const hours = (n: number) => new Date(Date.parse(from) + n * 3_600_000).toISOString();
    expect(
      fieldOf(() => checkWindow({ granularity: 'hour', from, to: hours(MAX_BUCKETS - 1), tz: 'UTC' }, fields)),
    ).toBe(null);
    expect(
      fieldOf(() => checkWindow({ granularity: 'hour', from, to: hours(MAX_BUCKETS), tz: 'UTC' }, fields)),
    ).toEqual(['granularity']);
  });

  it('refuses an empty or reversed window on the `to` field', () => {
    const w = { granularity: 'day' as const, tz: 'UTC' };
    expect(fieldOf(() => checkWindow({ ...w, from: '2026-01-02', to: '2026-01-01' }, fields))).toEqual(['to']);
    expect(fieldOf(() => checkWindow({ ...w, from: '2026-01-01', to: '2026-01-01' }, fields))).toEqual(['to']);
  });
});
