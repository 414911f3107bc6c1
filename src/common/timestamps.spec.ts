import { formatTimestamp, normalizeTimestamps, TIMESTAMP_FORMAT } from './timestamps';

describe('timestamps', () => {
  it.each([
    ['2026-01-15T12:00:00.371Z', '2026-01-15T12:00:00.371000+00:00'],
    ['2026-01-15T12:00:00.123456Z', '2026-01-15T12:00:00.123456+00:00'],
    ['2026-01-15T12:00:00Z', '2026-01-15T12:00:00.000000+00:00'],
    ['2026-01-15T12:00:00.123456789+00:00', '2026-01-15T12:00:00.123456+00:00'],
    ['2026-03-08T00:00:00-05:00', '2026-03-08T00:00:00.000000-05:00'],
    ['2026-01-15T00:00:00+05:30', '2026-01-15T00:00:00.000000+05:30'],
  ])('formats %s as %s', (input, output) => {
    expect(formatTimestamp(input)).toBe(output);
    expect(output).toMatch(TIMESTAMP_FORMAT);
  });

  it('formats Dates and leaves other strings alone', () => {
    expect(formatTimestamp(new Date('2026-01-15T12:00:00.5Z'))).toBe('2026-01-15T12:00:00.500000+00:00');
    expect(formatTimestamp('2026-01-15')).toBe('2026-01-15');
    expect(formatTimestamp('soon')).toBe('soon');
  });

  it('rewrites timestamp fields and Dates, never client JSON or fields of other names', () => {
    const metadata = { created_at: '2026-01-01T00:00:00Z' };
    const body = {
      items: [{ created_at: '2026-01-15T12:00:00.371Z', session_id: '2026-01-15T12:00:00Z', metadata }],
      filters: { date_from: '2026-01-01T00:00:00Z' },
      updated: new Date('2026-01-15T12:00:00Z'),
      watermark: null,
    };
    expect(normalizeTimestamps(body)).toEqual({
      items: [{ created_at: '2026-01-15T12:00:00.371000+00:00', session_id: '2026-01-15T12:00:00Z', metadata }],
      filters: { date_from: '2026-01-01T00:00:00Z' },
      updated: '2026-01-15T12:00:00.000000+00:00',
      watermark: null,
    });
    expect(metadata).toEqual({ created_at: '2026-01-01T00:00:00Z' });
    expect(normalizeTimestamps('{"started_at":"x"}')).toBe('{"started_at":"x"}');
  });
});
