import { CallHandler, ExecutionContext, Injectable, NestInterceptor, StreamableFile } from '@nestjs/common';
import { map, Observable } from 'rxjs';

/**
 * The one timestamp format of every response (docs/architecture.md#timestamps-in-responses):
 * `2026-01-15T12:00:00.250000+00:00`. ISO 8601 with six fractional digits and a numeric offset,
 * `+00:00` for every instant; only analytics buckets carry the offset of the zone they were asked in.
 * It is what the original's Python `isoformat()` writes (which drops `.000000`; fixed width here),
 * and it parses everywhere the original's clients do: Python's `datetime.fromisoformat` (every
 * version: `Z` needs 3.11), Go's RFC 3339, JavaScript's `Date`.
 */
export const TIMESTAMP_FORMAT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}[+-]\d{2}:\d{2}$/;

/** An ISO 8601 instant as our code and PostgreSQL write them: `Z` or an offset, 0–9 fractional digits. */
const ISO_INSTANT = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** A Date, or an ISO 8601 instant, in the one format (any other string is returned as it is). */
export function formatTimestamp(value: Date | string): string {
  const text = value instanceof Date ? value.toISOString() : value;
  const m = ISO_INSTANT.exec(text);
  if (!m) return text;
  return `${m[1]}.${(m[2] ?? '').padEnd(6, '0').slice(0, 6)}${m[3] === 'Z' ? '+00:00' : m[3]}`;
}

/**
 * The format written by PostgreSQL, for answers rendered as JSON text in SQL (GET /traces/{id} sends
 * PostgreSQL's text as it is) and wherever a statement returns a timestamp as text: a timestamptz
 * `column` (an expression in parentheses), in UTC.
 */
export const sqlTimestamp = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')`;

/** Fields that hold timestamps, by name: `*_at`, `at`, analytics `bucket`, `first_seen`, periods… */
const TIMESTAMP_KEY =
  /(^|_)at$|^(bucket|first_seen|last_seen|watermark|timestamp|completion_start_time)$|period_(start|end)$/;
export const isTimestampField = (name: string): boolean => TIMESTAMP_KEY.test(name);

/**
 * Client-supplied JSON, returned as it was sent: never rewritten, never walked (a user's metadata may
 * well hold a `created_at` of its own; eval-run filters keep their dates raw, as the original does).
 */
const VERBATIM = new Set([
  'input',
  'output',
  'metadata',
  'model_parameters',
  'token_usage',
  'cost',
  'filters',
  'signal_weights',
  'unknown_usage',
]);

/**
 * Rewrites, in place, every timestamp of a response body into the one format: Date objects anywhere,
 * and ISO instants in fields named like timestamps, outside client-supplied JSON. Only the changed
 * fields are assigned, so constant objects without timestamps are never written.
 */
export function normalizeTimestamps<T>(body: T): T {
  return walk(body, '') as T;
}

function walk(value: unknown, key: string): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? value : formatTimestamp(value);
  if (typeof value === 'string') return TIMESTAMP_KEY.test(key) ? formatTimestamp(value) : value;
  if (value === null || typeof value !== 'object' || !isJsonContainer(value)) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const next = walk(value[i], key);
      if (next !== value[i]) value[i] = next;
    }
    return value;
  }
  const record = value as Record<string, unknown>;
  for (const k of Object.keys(record)) {
    if (VERBATIM.has(k)) continue;
    const next = walk(record[k], k);
    if (next !== record[k]) record[k] = next;
  }
  return value;
}

/** Arrays and plain or DTO objects; not streams, files or buffers (answers that are not JSON). */
function isJsonContainer(value: object): boolean {
  return !(
    value instanceof StreamableFile ||
    Buffer.isBuffer(value) ||
    typeof (value as { pipe?: unknown }).pipe === 'function'
  );
}

/** Applies normalizeTimestamps to every controller's answer (streamed answers call it per item). */
@Injectable()
export class TimestampInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((body: unknown) => normalizeTimestamps(body)));
  }
}
