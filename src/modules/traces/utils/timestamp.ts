/**
 * ISO-8601 timestamps as the clients send them: `2026-11-27T02:40:44.371Z` (TypeScript SDK),
 * `2026-11-27T02:40:32.694494+00:00` (Python SDK), `2026-01-01T00:00:00+02:00`, or a plain date
 * `2026-01-01`. A value without an offset is UTC. Fractions up to microseconds are kept (PostgreSQL's
 * precision); further digits are truncated.
 */
const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

const CANONICAL_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Parses a timestamp and returns it normalised to UTC with microseconds
 * (`YYYY-MM-DDTHH:MM:SS.ffffffZ`), or null when the text is not a valid timestamp.
 */
export function normalizeTimestamp(text: unknown): string | null {
  if (typeof text !== 'string' || text.length > 64) return null;
  // The TypeScript SDK's form (Date#toISOString) is already UTC with milliseconds: one Date and a
  // comparison instead of the general parse (a trace of 10 spans carries ~30 timestamps).
  if (text.length === 24 && CANONICAL_MS.test(text) && !text.startsWith('0000')) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms) && new Date(ms).toISOString() === text) return `${text.slice(0, 23)}000Z`;
  }
  const m = ISO_TIMESTAMP.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', offset = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const base = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(base);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return null; // e.g. February 30th
  }
  let offsetMinutes = 0;
  if (offset !== 'Z' && offset !== 'z') {
    const sign = offset[0] === '-' ? -1 : 1;
    const digits = offset.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 23 || om > 59) return null;
    offsetMinutes = sign * (oh * 60 + om);
  }
  const micros = (frac + '000000').slice(0, 6);
  const utcMs = base - offsetMinutes * 60_000 + Number(micros.slice(0, 3));
  const utc = new Date(utcMs);
  const utcYear = utc.getUTCFullYear();
  if (Number.isNaN(utcMs) || utcYear < 1 || utcYear > 9999) return null;
  // toISOString gives milliseconds; append the remaining three digits of microseconds.
  return `${utc.toISOString().slice(0, 23)}${micros.slice(3)}Z`;
}

/** Like normalizeTimestamp, as a Date (millisecond precision). */
export function parseTimestamp(text: unknown): Date | null {
  const normalized = normalizeTimestamp(text);
  return normalized === null ? null : new Date(normalized);
}
