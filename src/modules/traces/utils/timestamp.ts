/**
 * ISO-8601 timestamps as the clients send them: `2026-11-27T02:40:44.371Z` (TypeScript SDK),
 * `2026-11-27T02:40:32.694494+00:00` (Python SDK), `2026-01-01T00:00:00+02:00`, or a plain date
 * `2026-01-01`. A value without an offset is UTC. Fractions up to microseconds are kept (PostgreSQL's
 * precision); further digits are truncated.
 */
const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

const CANONICAL_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const leap = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
/** The number written in `text` from `at`, `n` digits (known to be digits). */
const digitsAt = (text: string, at: number, n: number) => {
  let value = 0;
  for (let i = at; i < at + n; i++) value = value * 10 + text.charCodeAt(i) - 48;
  return value;
};

/** Whether a text of CANONICAL_MS's shape names a real instant (no February 30th, hour 24, year 0). */
function canonicalFieldsValid(text: string): boolean {
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  if (day > (month === 2 && leap(year) ? 29 : DAYS_IN_MONTH[month - 1])) return false;
  return digitsAt(text, 11, 2) <= 23 && digitsAt(text, 14, 2) <= 59 && digitsAt(text, 17, 2) <= 59;
}

/**
 * Parses a timestamp and returns it normalised to UTC with microseconds
 * (`YYYY-MM-DDTHH:MM:SS.ffffffZ`), or null when the text is not a valid timestamp.
 */
export function normalizeTimestamp(text: unknown): string | null {
  if (typeof text !== 'string' || text.length > 64) return null;
  // The TypeScript SDK's form (Date#toISOString) is already UTC with milliseconds: its fields are
  // checked in place, with no Date or intermediate string (a trace of 10 spans carries ~30 timestamps).
  if (text.length === 24 && CANONICAL_MS.test(text) && canonicalFieldsValid(text)) return `${text.slice(0, 23)}000Z`;
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
