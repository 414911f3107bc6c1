import { APICallError } from '@ai-sdk/provider';

/** How a failed judge attempt is handled. */
export type FailureKind =
  | 'rate_limited' // 429: retry, honouring Retry-After
  | 'server_error' // 5xx: retry
  | 'timeout' // our per-call timeout fired: retry
  | 'network' // connection refused/reset: retry
  | 'invalid_output' // the answer did not parse or validate: retry
  | 'auth' // 401/403/404: fail fast
  | 'rejected'; // any other 4xx: fail fast

export interface ClassifiedFailure {
  kind: FailureKind;
  retryable: boolean;
  status?: number;
  /** Delay the server asked for, in ms: retry-after-ms / Retry-After headers, or Gemini's RetryInfo in the body. */
  retryAfterMs?: number;
  /** Short human description, e.g. "500 Internal Server Error". */
  summary: string;
}

/** Thrown by the judge when the model's answer cannot be parsed or validated. */
export class InvalidJudgeOutputError extends Error {
  constructor(
    message: string,
    public readonly text: string | undefined,
  ) {
    super(message);
    this.name = 'InvalidJudgeOutputError';
  }
}

/** Thrown when the shared limiter gave no slot before the call's deadline. */
export class JudgeSlotTimeoutError extends Error {
  constructor(public readonly waitedMs: number) {
    super(`no judge slot free within ${waitedMs} ms (shared limiter)`);
    this.name = 'JudgeSlotTimeoutError';
  }
}

/** Thrown by the judge when its own per-call timeout fires. */
export class JudgeTimeoutError extends Error {
  constructor(public readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
    this.name = 'JudgeTimeoutError';
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Parses `retry-after-ms`, then `Retry-After` (delta seconds or an HTTP date). */
export function parseRetryAfter(headers: Record<string, string> | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
  const ms = lower['retry-after-ms'];
  if (ms !== undefined && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const ra = lower['retry-after'];
  if (ra === undefined || ra.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(ra)) return Math.max(0, Number(ra) * 1000);
  const date = Date.parse(ra);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function errorChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  for (let i = 0; i < 5 && current; i++) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

export function classifyFailure(error: unknown): ClassifiedFailure {
  if (error instanceof JudgeTimeoutError) {
    return { kind: 'timeout', retryable: true, summary: error.message };
  }
  if (error instanceof InvalidJudgeOutputError) {
    return { kind: 'invalid_output', retryable: true, summary: `invalid output: ${error.message}` };
  }
  if (error instanceof JudgeSlotTimeoutError) {
    return { kind: 'timeout', retryable: true, summary: error.message };
  }
  const api = errorChain(error).find((e) => APICallError.isInstance(e)) as APICallError | undefined;
  if (api && api.statusCode !== undefined) {
    const status = api.statusCode;
    const summary = `${status} ${STATUS_TEXT[status] ?? ''}`.trim();
    if (status >= 200 && status < 300) {
      // A 2xx whose body the SDK could not read (not JSON, or not the provider's shape): a bad answer, retried.
      return { kind: 'invalid_output', retryable: true, status, summary: `invalid output: ${api.message}` };
    }
    const retryAfterMs = parseRetryAfter(api.responseHeaders) ?? parseGoogleRetryInfo(api.responseBody);
    if (status === 429) {
      return { kind: 'rate_limited', retryable: true, status, retryAfterMs, summary };
    }
    if (status >= 500 || status === 408) {
      return { kind: 'server_error', retryable: true, status, retryAfterMs, summary };
    }
    const detail = shortDetail(api);
    if (status === 401 || status === 403 || status === 404) {
      return { kind: 'auth', retryable: false, status, summary: detail ? `${summary}: ${detail}` : summary };
    }
    return { kind: 'rejected', retryable: false, status, summary: detail ? `${summary}: ${detail}` : summary };
  }
  // No HTTP status: the request never got an answer (refused, reset, DNS). Worth another try.
  const message = error instanceof Error ? error.message : String(error);
  return { kind: 'network', retryable: true, summary: message.slice(0, 300) };
}

function shortDetail(api: APICallError): string {
  let detail = api.message ?? '';
  if (api.responseBody) {
    try {
      const body = JSON.parse(api.responseBody) as { error?: { message?: string } | string; message?: string };
      const fromBody = typeof body.error === 'string' ? body.error : (body.error?.message ?? body.message);
      if (fromBody) detail = fromBody;
    } catch {
      /* keep the SDK's message */
    }
  }
  return detail.slice(0, 300);
}

/**
 * Gemini says how long to wait in the error body, not a header:
 * `{"error":{"status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.5s"}]}}`.
 * `retryDelay` is a protobuf Duration in its JSON form (decimal seconds with an `s` suffix).
 */
export function parseGoogleRetryInfo(body: string | undefined): number | undefined {
  if (!body || !body.includes('RetryInfo')) return undefined;
  try {
    const details = (JSON.parse(body) as { error?: { details?: unknown } })?.error?.details;
    if (!Array.isArray(details)) return undefined;
    for (const d of details as { '@type'?: string; retryDelay?: unknown }[]) {
      if (!d?.['@type']?.endsWith('google.rpc.RetryInfo') || typeof d.retryDelay !== 'string') continue;
      const m = /^\s*(\d+(?:\.\d+)?)s\s*$/.exec(d.retryDelay);
      if (m) return Math.round(Number(m[1]) * 1000);
    }
  } catch {
    /* not JSON: no hint */
  }
  return undefined;
}

/**
 * Delay before retry number `retry` (1-based). The backoff ceiling is `min(maxMs, base × 2^(retry−1))`.
 * Every wait is at least half of it (a floor, so a `Retry-After: 0` storm cannot burn every attempt
 * in milliseconds) or what the server asked, whichever is longer, plus a random jitter of up to the
 * other half (so callers rate-limited together do not retry in lockstep); all capped by `maxMs`.
 */
export function retryDelayMs(
  retry: number,
  failure: ClassifiedFailure,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (retry - 1));
  const floor = Math.max(failure.retryAfterMs ?? 0, ceiling / 2);
  return Math.min(maxMs, Math.floor(floor + random() * (ceiling / 2)));
}
