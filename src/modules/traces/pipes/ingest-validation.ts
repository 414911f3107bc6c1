import { isIn, isUUID, length } from 'class-validator';
import type { FieldError } from '../../../common/validation/validation';
import type { SpanCreateDto } from '../dto/span-create.dto';
import type { TraceCreateDto } from '../dto/trace-create.dto';
import { isPlainObject } from '../dto/validators';
import {
  MAX_NAME_LENGTH,
  MAX_SHORT_TEXT_LENGTH,
  MAX_SPANS_PER_REQUEST,
  MAX_TAGS,
  SPAN_KINDS,
  SPAN_STATUSES,
  TRACE_STATUSES,
} from '../traces.constants';
import { normalizeTimestamp } from '../utils/timestamp';

/**
 * Hand-written validation of the ingestion bodies (POST /traces and POST /traces/{id}/spans).
 *
 * The rules are those of TraceCreateDto and SpanCreateDto (which stay the documented schema); this
 * code exists because class-transformer + class-validator cost over a millisecond of CPU for one
 * trace of ten spans, which capped ingestion below 1,000 traces/s. ingest-validation.spec.ts checks
 * with generated payloads that both accept and reject the same fields. Unknown keys are dropped.
 */
type Out = Record<string, unknown>;

/** Characters class-validator's `length` does not count one for one (surrogates, variation selectors). */
const UNEVEN_CHARS = /[\uD800-\uDFFF]|\uFE0E|\uFE0F/;

/**
 * class-validator's `length`, which builds two match arrays per call: without the characters it
 * counts differently, its count is the string's length, so the common text is checked in place.
 */
function withinLength(value: string, min: number, max: number): boolean {
  if (value.length >= min && value.length <= max && !UNEVEN_CHARS.test(value)) return true;
  return length(value, min, max);
}

class Reader {
  readonly errors: FieldError[] = [];

  constructor(
    private readonly source: Record<string, unknown>,
    private readonly out: Out,
    private readonly path: string,
  ) {}

  private field(key: string) {
    return this.path ? `${this.path} -> ${key}` : key;
  }

  private fail(key: string, message: string) {
    this.errors.push({ field: this.field(key), message });
  }

  /** Copies an optional value as is (any JSON). */
  any(key: string) {
    if (key in this.source) this.out[key] = this.source[key];
  }

  /** Reads a value that may be absent or null; returns it when present, otherwise undefined. */
  private present(key: string, required: boolean): unknown {
    const value = this.source[key];
    if (value === undefined || value === null) {
      if (required) this.fail(key, `${key} is required`);
      else if (key in this.source) this.out[key] = value;
      return undefined;
    }
    return value;
  }

  text(key: string, opts: { required?: boolean; min?: number; max: number }) {
    const value = this.present(key, opts.required ?? false);
    if (value === undefined) return;
    if (typeof value !== 'string') return this.fail(key, `${key} must be a string`);
    const min = opts.min ?? 0;
    if (!withinLength(value, min, opts.max)) {
      return this.fail(key, `${key} must be ${min > 0 ? `${min} to ` : 'at most '}${opts.max} characters long`);
    }
    this.out[key] = value;
  }

  optionalString(key: string) {
    const value = this.present(key, false);
    if (value === undefined) return;
    if (typeof value !== 'string') return this.fail(key, `${key} must be a string`);
    this.out[key] = value;
  }

  uuid(key: string) {
    const value = this.present(key, false);
    if (value === undefined) return;
    if (typeof value !== 'string' || !isUUID(value, 'loose')) return this.fail(key, `${key} must be a UUID`);
    this.out[key] = value;
  }

  oneOf(key: string, allowed: readonly string[]) {
    const value = this.present(key, false);
    if (value === undefined) return;
    if (!isIn(value, allowed as string[])) return this.fail(key, `${key} must be one of: ${allowed.join(', ')}`);
    this.out[key] = value;
  }

  object(key: string) {
    const value = this.present(key, false);
    if (value === undefined) return;
    if (!isPlainObject(value)) return this.fail(key, `${key} must be a JSON object`);
    this.out[key] = value;
  }

  numberRecord(key: string) {
    const value = this.present(key, false);
    if (value === undefined) return;
    if (!isPlainObject(value) || !Object.values(value).every((v) => typeof v === 'number' && Number.isFinite(v))) {
      return this.fail(key, `${key} must be an object whose values are numbers`);
    }
    this.out[key] = value;
  }

  timestamp(key: string, required = false) {
    const value = this.present(key, required);
    if (value === undefined) return;
    const normalized = normalizeTimestamp(value);
    if (normalized === null) return this.fail(key, `${key} must be an ISO-8601 timestamp`);
    this.out[key] = normalized;
  }

  tags(key: string) {
    const value = this.present(key, false);
    if (value === undefined) return;
    if (!Array.isArray(value)) return this.fail(key, `${key} must be an array of strings`);
    if (value.length > MAX_TAGS) return this.fail(key, `${key} must contain at most ${MAX_TAGS} tags`);
    if (!value.every((t) => typeof t === 'string' && withinLength(t, 1, MAX_SHORT_TEXT_LENGTH))) {
      return this.fail(key, `each of ${key} must be a string of 1 to ${MAX_SHORT_TEXT_LENGTH} characters`);
    }
    this.out[key] = value;
  }

  /** A list of nested objects, each read by `read`; element errors are reported under `key -> i`. */
  list(
    key: string,
    opts: { min?: number; max: number },
    read: (item: unknown, path: string) => { value: Out; errors: FieldError[] },
  ) {
    const value = this.present(key, false);
    if (value === undefined) return;
    if (!Array.isArray(value)) return this.fail(key, `${key} must be an array`);
    if (value.length < (opts.min ?? 0)) return this.fail(key, `${key} must contain at least ${opts.min} item(s)`);
    if (value.length > opts.max) return this.fail(key, `${key} must contain at most ${opts.max} items`);
    const items: Out[] = [];
    value.forEach((item, i) => {
      const result = read(item, this.field(`${key} -> ${i}`));
      this.errors.push(...result.errors);
      items.push(result.value);
    });
    this.out[key] = items;
  }
}

function readSpan(item: unknown, path: string): { value: Out; errors: FieldError[] } {
  const out: Out = {};
  if (!isPlainObject(item))
    return { value: out, errors: [{ field: path, message: 'each span must be a JSON object' }] };
  const r = new Reader(item, out, path);
  r.uuid('span_id');
  r.uuid('parent_span_id');
  r.text('name', { required: true, min: 1, max: MAX_NAME_LENGTH });
  r.oneOf('kind', SPAN_KINDS);
  r.oneOf('status', SPAN_STATUSES);
  r.any('input');
  r.any('output');
  r.text('model', { max: MAX_SHORT_TEXT_LENGTH });
  r.object('token_usage');
  r.object('metadata');
  r.timestamp('started_at', true);
  r.timestamp('ended_at');
  r.optionalString('error');
  r.timestamp('completion_start_time');
  r.object('model_parameters');
  r.numberRecord('cost');
  return { value: out, errors: r.errors };
}

/**
 * The trace's aggregate columns are computed by PostgreSQL from the spans: total_tokens is a bigint
 * and total_cost a double. Sums beyond them made the INSERT fail, and with it the batch of other
 * tenants' traces written in the same statement, so they are refused here (422) before any write.
 */
export const MAX_TOKENS_PER_REQUEST = Number.MAX_SAFE_INTEGER;

function checkTotals(spans: Out[], field: string): FieldError[] {
  let tokens = 0;
  let cost = 0;
  for (const span of spans) {
    const usage = span.token_usage as Record<string, unknown> | undefined;
    for (const key of ['prompt_tokens', 'completion_tokens']) {
      const n = usage?.[key];
      if (typeof n === 'number') tokens += Math.abs(n);
    }
    const total = (span.cost as Record<string, number> | undefined)?.total;
    if (typeof total === 'number') cost += Math.abs(total);
  }
  const errors: FieldError[] = [];
  if (tokens > MAX_TOKENS_PER_REQUEST) {
    errors.push({ field, message: `token_usage totals must not exceed ${MAX_TOKENS_PER_REQUEST} tokens per trace` });
  }
  if (!Number.isFinite(cost)) errors.push({ field, message: 'cost totals must stay within double precision' });
  return errors;
}

/** Validates a POST /traces body; returns the normalised DTO or the field errors. */
export function validateTraceCreate(body: unknown): { value?: TraceCreateDto; errors: FieldError[] } {
  if (!isPlainObject(body)) return { errors: [{ field: 'body', message: 'The body must be a JSON object.' }] };
  const out: Out = {};
  const r = new Reader(body, out, '');
  r.uuid('trace_id');
  r.text('name', { required: true, min: 1, max: MAX_NAME_LENGTH });
  r.oneOf('status', TRACE_STATUSES);
  r.any('input');
  r.any('output');
  r.object('metadata');
  r.timestamp('started_at', true);
  r.timestamp('ended_at');
  r.text('session_id', { max: MAX_SHORT_TEXT_LENGTH });
  r.text('user_id', { max: MAX_SHORT_TEXT_LENGTH });
  r.tags('tags');
  r.text('environment', { max: MAX_SHORT_TEXT_LENGTH });
  r.text('release', { max: MAX_SHORT_TEXT_LENGTH });
  r.list('spans', { max: MAX_SPANS_PER_REQUEST }, readSpan);
  if (r.errors.length === 0 && Array.isArray(out.spans)) r.errors.push(...checkTotals(out.spans as Out[], 'spans'));
  return r.errors.length > 0 ? { errors: r.errors } : { value: out as unknown as TraceCreateDto, errors: [] };
}

/** Validates a POST /traces/{id}/spans body: a JSON array of 1 to 500 spans. */
export function validateSpanList(body: unknown): { value?: SpanCreateDto[]; errors: FieldError[] } {
  if (!Array.isArray(body)) return { errors: [{ field: 'body', message: 'The body must be a JSON array of spans.' }] };
  if (body.length < 1 || body.length > MAX_SPANS_PER_REQUEST) {
    return { errors: [{ field: 'body', message: `The body must hold 1 to ${MAX_SPANS_PER_REQUEST} spans.` }] };
  }
  const errors: FieldError[] = [];
  const value = body.map((item, i) => {
    const result = readSpan(item, String(i));
    errors.push(...result.errors);
    return result.value as unknown as SpanCreateDto;
  });
  if (errors.length === 0) errors.push(...checkTotals(value as unknown as Out[], 'body'));
  return errors.length > 0 ? { errors } : { value, errors: [] };
}
