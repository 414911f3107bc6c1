import { EXAMPLE_TRACE_ID, RUN_ID } from './openapi-request-examples';

/** Named examples of one response: `{name: {summary, value}}`. */
export type Examples = Record<string, { summary: string; value: unknown }>;

/** The error body of a domain error. */
export const detail = (text: string) => ({ detail: text });

/** Each window limit's default (RATE_LIMIT_DEFAULT, RATE_LIMIT_EVAL_RUNS, RATE_LIMIT_MONITOR_TRIGGER per minute; RATE_LIMIT_INVITATIONS per hour). */
const DEFAULT_LIMITS: Record<string, [number, string]> = {
  default: [200, '1 minute'],
  evalRuns: [50, '1 minute'],
  monitorTrigger: [10, '1 minute'],
  invitations: [10, '1 hour'],
  cliExchange: [20, '1 minute'],
};
/** Ingestion's token bucket at its defaults (RATE_LIMIT_INGEST per second, RATE_LIMIT_INGEST_BURST). */
const INGEST_LIMITED = 'Rate limit exceeded for this project: 100 ingestion requests per second, bursts of 1000';
/** The 429 of a route, for the named limit the Auth decorators record as `x-rate-limit`. */
export const rateLimited = (limit: string) =>
  limit === 'ingest'
    ? { detail: `${INGEST_LIMITED}. Retry after 1 second.`, error: INGEST_LIMITED }
    : {
        detail: `Rate limit exceeded: ${DEFAULT_LIMITS[limit].join(' per ')}. Retry after 42 seconds.`,
        error: `Rate limit exceeded: ${DEFAULT_LIMITS[limit].join(' per ')}`,
      };

const MiB20 = 20 * 1024 * 1024;
/**
 * Each route's own error examples by status (409, 413, some 403 and 422): what it can actually answer,
 * the messages of the code at the default limits.
 */
export const OTHER_ERRORS: Record<string, Record<string, Examples>> = {
  'POST /organizations': {
    '422': {
      no_name: {
        summary: 'No name',
        value: { detail: 'Validation error', errors: [{ field: 'name', message: 'name is required' }] },
      },
    },
  },
  'POST /traces': {
    '409': {
      other_project: {
        summary: 'The trace id cannot be used here (the answer does not say why: another project may hold it)',
        value: detail(`Trace id ${EXAMPLE_TRACE_ID} cannot be used; send a new trace id.`),
      },
    },
    '413': {
      body: {
        summary: 'Larger than BODY_LIMIT_BYTES',
        value: detail('Request body is larger than the configured limit.'),
      },
      spans: {
        summary: 'More spans than MAX_SPANS_PER_TRACE once merged',
        value: detail(
          `Trace ${EXAMPLE_TRACE_ID} would hold 10001 spans; at most 10000 are allowed (MAX_SPANS_PER_TRACE). Nothing was changed.`,
        ),
      },
    },
  },
  'GET /sessions/{session_id}': {
    '413': {
      page: {
        summary: 'The page is larger than MAX_RESPONSE_BYTES',
        value: detail(
          `These traces hold ${MiB20 + 1} bytes of JSON, more than one response may carry (MAX_RESPONSE_BYTES=${MiB20}). Ask for fewer traces at a time (limit, offset).`,
        ),
      },
    },
  },
  'POST /evaluations/trace-runs/{run_id}/retry': {
    '409': {
      unfinished: {
        summary: 'The run is still going',
        value: detail(`Eval run ${RUN_ID} is still RUNNING; retry it once it has finished (or cancel it first).`),
      },
    },
  },
  'POST /evaluations/session-runs/{run_id}/retry': {
    '409': {
      unfinished: {
        summary: 'The run is still going',
        value: detail(`Eval run ${RUN_ID} is still RUNNING; retry it once it has finished (or cancel it first).`),
      },
    },
  },
  'POST /evaluations/trace-runs/{run_id}/cancel': {
    '409': {
      finished: {
        summary: 'The run has finished',
        value: detail(`Eval run ${RUN_ID} is already COMPLETED; only a PENDING or RUNNING run can be cancelled.`),
      },
    },
  },
  'POST /organizations/{org_id}/api-keys/{key_id}/rotate': {
    '409': {
      rotated: {
        summary: 'The key was already rotated',
        value: detail(
          'API key 3f2e1d0c-9b8a-4776-a5b4-c3d2e1f0a9b8 was already rotated; rotate its replacement 7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d.',
        ),
      },
    },
  },
  'POST /me/invitations/{invitation_id}/accept': {
    '403': {
      other_email: {
        summary: 'The invitation is addressed to someone else',
        value: detail('This invitation was sent to a different email address.'),
      },
    },
  },
  'POST /me/invitations/{invitation_id}/decline': {
    '403': {
      other_email: {
        summary: 'The invitation is addressed to someone else',
        value: detail('This invitation was sent to a different email address.'),
      },
    },
  },
  'POST /v1/traces': {
    '413': {
      body: {
        summary: 'Larger than BODY_LIMIT_BYTES',
        value: detail('Request body is larger than the configured limit.'),
      },
    },
  },
  'POST /otlp/v1/traces': {
    '413': {
      body: {
        summary: 'Larger than BODY_LIMIT_BYTES',
        value: detail('Request body is larger than the configured limit.'),
      },
    },
  },
  'POST /cli/auth/codes': {
    '422': {
      no_challenge: {
        summary: 'No PKCE challenge',
        value: {
          detail: 'Validation error',
          errors: [{ field: 'code_challenge', message: 'code_challenge is required' }],
        },
      },
    },
  },
  'POST /cli/auth/exchange': {
    '401': {
      used_code: {
        summary: 'Unknown, expired or used code (the login credentials are spent)',
        value: detail('Authorization code is invalid, expired, or already used.'),
      },
    },
    '422': {
      no_verifier: {
        summary: 'No PKCE verifier',
        value: {
          detail: 'Validation error',
          errors: [{ field: 'code_verifier', message: 'code_verifier is required' }],
        },
      },
    },
    '429': { limited: { summary: 'Too many exchanges from this address', value: rateLimited('cliExchange') } },
  },
  'POST /evaluations/session-runs/{run_id}/cancel': {
    '409': {
      finished: {
        summary: 'The run has finished',
        value: detail(`Eval run ${RUN_ID} is already COMPLETED; only a PENDING or RUNNING run can be cancelled.`),
      },
    },
  },
};
