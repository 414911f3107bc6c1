import { normalizeTimestamp, parseTimestamp } from './timestamp';

describe('normalizeTimestamp', () => {
  it.each([
    ['2026-11-27T02:40:44.371Z', '2026-11-27T02:40:44.371000Z'],
    ['2026-11-27T02:40:32.694494+00:00', '2026-11-27T02:40:32.694494Z'],
    ['2026-11-27T02:40:32.694494', '2026-11-27T02:40:32.694494Z'],
    ['2026-01-01T00:00:00+02:00', '2025-12-31T22:00:00.000000Z'],
    ['2026-01-01T10:30:00-0530', '2026-01-01T16:00:00.000000Z'],
    ['2026-01-01 10:30', '2026-01-01T10:30:00.000000Z'],
    ['2026-01-01', '2026-01-01T00:00:00.000000Z'],
    ['2026-01-01T00:00:00.123456789Z', '2026-01-01T00:00:00.123456Z'],
    ['0001-01-01T00:00:00.000Z', '0001-01-01T00:00:00.000000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999000Z'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeTimestamp(input)).toBe(expected);
  });

  it.each([
    '',
    'yesterday',
    '2026-02-30T00:00:00Z',
    '2026-13-01',
    '2026-01-01T24:00:00Z',
    '2026-01-01T10:61Z',
    '1700000000',
    '2026-01-01T00:00:00+25:00',
    // The shape of the fast path (toISOString's), but not a valid time.
    '2026-02-30T00:00:00.000Z',
    '2026-01-01T24:00:00.000Z',
    '2026-01-01T23:59:60.000Z',
    '0000-01-01T00:00:00.000Z',
  ])('rejects %p', (input) => {
    expect(normalizeTimestamp(input)).toBeNull();
  });

  it('rejects non-strings', () => {
    expect(normalizeTimestamp(1700000000)).toBeNull();
    expect(normalizeTimestamp(null)).toBeNull();
  });

  it('parses to a Date', () => {
    expect(parseTimestamp('2026-01-01T00:00:00+01:00')?.toISOString()).toBe('2025-12-31T23:00:00.000Z');
  });
});

describe('normalizeTimestamp, the Date#toISOString form', () => {
  it('agrees with Date on every day of a leap and a common year, and at the bounds of each field', () => {
    const texts: string[] = [];
    for (const year of ['1900', '2000', '2024', '2026']) {
      for (let month = 1; month <= 12; month++) {
        for (let day = 0; day <= 32; day++) {
          const mm = String(month).padStart(2, '0');
          const dd = String(day).padStart(2, '0');
          texts.push(`${year}-${mm}-${dd}T12:00:00.000Z`);
        }
      }
    }
    for (const time of ['00:00:00', '23:59:59', '24:00:00', '23:60:00', '23:59:60'])
      texts.push(`2026-06-15T${time}.000Z`);
    texts.push('2026-00-10T00:00:00.000Z', '2026-13-10T00:00:00.000Z');
    for (const text of texts) {
      const ms = Date.parse(text);
      const valid = !Number.isNaN(ms) && new Date(ms).toISOString() === text;
      expect([text, normalizeTimestamp(text)]).toEqual([text, valid ? `${text.slice(0, 23)}000Z` : null]);
    }
  });
});
