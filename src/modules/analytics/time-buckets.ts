import { RequestValidationError } from '../../common/validation/validation';

/**
 * Time buckets shared by every analytics endpoint: a granularity, a half-open window [from, to) and
 * an IANA time zone. Buckets start where `date_trunc(granularity, ts, tz)` says, so day and week
 * boundaries follow the zone's local midnight (a DST day has 23 or 25 hours) and hour buckets follow
 * its offset (whole hours, or :30 / :45 in zones like Asia/Kolkata).
 */

export const GRANULARITIES = ['hour', 'day', 'week'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

/** A chart that needs more buckets than this asks for a coarser granularity or a shorter window. */
export const MAX_BUCKETS = 10_000;

export const DEFAULT_TIME_ZONE = 'UTC';

const NOMINAL_MS: Record<Granularity, number> = { hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000 };

/** An IANA zone name as written in the tz database (`Europe/Berlin`, `America/Argentina/Salta`, `UTC`). */
const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/;

/**
 * True for a time-zone name of the IANA database that the runtime knows. Offsets (`+05:00`) and
 * POSIX strings (`UTC+3`, which PostgreSQL would read with the sign inverted) are refused.
 */
export function isIanaTimeZone(name: unknown): name is string {
  if (typeof name !== 'string' || name.length > 64 || !IANA_NAME.test(name) || /^(UTC|GMT)[+-]/i.test(name)) {
    return false;
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export interface BucketWindow {
  granularity: Granularity;
  /** Inclusive, ISO timestamp. */
  from: string;
  /** Exclusive, ISO timestamp. */
  to: string;
  tz: string;
}

/**
 * Checks a window before any query: `from` must be before `to`, and the number of buckets at most
 * MAX_BUCKETS (counted with nominal lengths plus one for a partial first bucket, so a DST hour more
 * or less never matters). Violations are 422s on the named fields.
 */
export function checkWindow(w: BucketWindow, fields: { from: string; to: string }): void {
  const span = Date.parse(w.to) - Date.parse(w.from);
  if (!(span > 0)) {
    throw new RequestValidationError([{ field: fields.to, message: `${fields.to} must be later than ${fields.from}` }]);
  }
  const buckets = Math.ceil(span / NOMINAL_MS[w.granularity]) + 1;
  if (buckets > MAX_BUCKETS) {
    throw new RequestValidationError([
      {
        field: 'granularity',
        message:
          `the window holds about ${buckets} ${w.granularity} buckets; at most ${MAX_BUCKETS} are allowed: ` +
          'choose a coarser granularity or a shorter window',
      },
    ]);
  }
}

/**
 * SQL for the bucket start of a timestamp column: an instant (timestamptz).
 * `$g` and `$tz` are the placeholders holding the granularity and the zone.
 */
export const bucketOf = (column: string, g: string, tz: string) => `date_trunc(${g}, ${column}, ${tz})`;

/**
 * SQL yielding one row `b` (timestamptz) per bucket of [from, to), in order, so charts get every
 * bucket even when it is empty. Hours step in absolute time (a DST fall-back day has 25 of them);
 * days and weeks step in local time and are converted back, so each starts at local midnight.
 */
export const bucketSeries = (g: string, from: string, to: string, tz: string) => `
  SELECT s.b FROM (
    SELECT generate_series(date_trunc('hour', ${from}::timestamptz, ${tz}),
                           ${to}::timestamptz - interval '1 microsecond', interval '1 hour') AS b
    WHERE ${g} = 'hour'
    UNION ALL
    SELECT local_b AT TIME ZONE ${tz} FROM generate_series(
      date_trunc(${g}, ${from}::timestamptz, ${tz}) AT TIME ZONE ${tz},
      (${to}::timestamptz - interval '1 microsecond') AT TIME ZONE ${tz},
      ('1 ' || ${g})::interval) AS local_b
    WHERE ${g} <> 'hour'
  ) s`;

/**
 * SQL rendering a bucket start as ISO 8601 in the zone's local time with its offset, e.g.
 * `2026-03-08T00:00:00-05:00`, or `2026-01-15T00:00:00+00:00` in UTC.
 */
export const bucketLabel = (b: string, tz: string) => `(
  to_char(${b} AT TIME ZONE ${tz}, 'YYYY-MM-DD"T"HH24:MI:SS')
  || CASE WHEN (${b} AT TIME ZONE ${tz}) < (${b} AT TIME ZONE 'UTC') THEN '-' ELSE '+' END
  || to_char(greatest((${b} AT TIME ZONE ${tz}) - (${b} AT TIME ZONE 'UTC'),
                      (${b} AT TIME ZONE 'UTC') - (${b} AT TIME ZONE ${tz})), 'HH24:MI'))`;
