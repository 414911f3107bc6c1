import type { RawResponse } from './http';
import type { Route } from '../route-table';

/**
 * Statuses any route may answer besides those its operation declares, produced before our code
 * runs or for every body alike (docs/evidence.md lists them):
 * 400 undecodable request (bad percent-encoding in the path, a body whose Content-Encoding lies),
 * 413 body over BODY_LIMIT_BYTES, 415 unsupported Content-Encoding or charset.
 */
export const TRANSPORT_STATUSES: readonly number[] = [400, 413, 415];

/** Node answers 431, with no body, before any of our code runs, when the request line and headers pass 16 KB. */
const HEADERS_TOO_LARGE = 431;

/** A body that is not JSON is refused before routing, on every route: 422 with the field `body`. */
const isBodyParseError = (status: number, body: Record<string, unknown>): boolean =>
  status === 422 &&
  Array.isArray(body.errors) &&
  body.errors.length === 1 &&
  (body.errors[0] as { field?: unknown }).field === 'body';

/**
 * What is wrong with an answer, or null when it keeps the contract: never a 5xx; a 4xx is a
 * documented status with the documented body — `{"detail": string}`, plus `errors:
 * [{field, message}]` on validation and `error` on 429, nothing else.
 */
export function contractProblem(route: Pick<Route, 'statuses'> | undefined, res: RawResponse): string | null {
  if (res.status >= 500) return `${res.status} ${res.text.slice(0, 300)}`;
  if (res.status < 400 || res.status === HEADERS_TOO_LARGE) return null;
  const body = res.json as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body))
    return `${res.status} without a JSON object body: ${res.text.slice(0, 200)}`;
  if (typeof body.detail !== 'string' || body.detail.length === 0)
    return `${res.status} without a detail string: ${res.text.slice(0, 200)}`;
  const extra = Object.keys(body).filter((k) => !['detail', 'errors', 'error'].includes(k));
  if (extra.length > 0) return `${res.status} with undocumented keys ${extra.join(', ')}`;
  if (body.detail === 'Validation error' || 'errors' in body) {
    if (res.status !== 422) return `errors array on a ${res.status}`;
    const errors = body.errors;
    if (!Array.isArray(errors) || errors.length === 0)
      return `422 "Validation error" without a non-empty errors array: ${res.text.slice(0, 200)}`;
    for (const e of errors) {
      const ok =
        e &&
        typeof e === 'object' &&
        Object.keys(e).sort().join() === 'field,message' &&
        typeof e.field === 'string' &&
        typeof e.message === 'string';
      if (!ok) return `malformed entry in errors: ${JSON.stringify(e).slice(0, 200)}`;
    }
  }
  if ('error' in body && (res.status !== 429 || typeof body.error !== 'string')) return `error key on a ${res.status}`;
  if (res.status === 429 && typeof body.error !== 'string') return '429 without the error string';
  const routeNotFound = res.status === 404 && body.detail.startsWith('Route ');
  const documented =
    routeNotFound ||
    isBodyParseError(res.status, body) ||
    TRANSPORT_STATUSES.includes(res.status) ||
    (route?.statuses ?? []).includes(res.status);
  if (!documented)
    return `undocumented status ${res.status} (documented: ${(route?.statuses ?? []).join(', ')}): ${body.detail.slice(0, 200)}`;
  return null;
}
