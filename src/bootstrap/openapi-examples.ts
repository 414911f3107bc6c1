import type { OpenAPIObject } from '@nestjs/swagger';
import { OTLP_JSON_EXAMPLE } from '../modules/otlp/dto/export-response.dto';

/**
 * Examples in the OpenAPI document that are true: request bodies that work when sent as they are
 * against the demo data (`npm run demo`: traces tagged `demo`; ids are placeholders for one of
 * yours), and per-status error examples that the route can actually return. A test replays each
 * of them against a running instance (test/e2e/openapi-examples.e2e-spec.ts).
 */

/** Stands for an id of yours in the examples below. */
export const EXAMPLE_TRACE_ID = '6f1c2a9e-3b4d-4c5e-8f70-1a2b3c4d5e6f';
export const EXAMPLE_SPAN_ID = '0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f';
export const EXAMPLE_SESSION_ID = 'sess-support-42';
const RUN_ID = '2c9d7e10-5a4b-4f3e-9d8c-7b6a5f4e3d2c';

const span = {
  name: 'search_orders',
  kind: 'TOOL',
  status: 'OK',
  started_at: '2026-01-15T12:00:00.200Z',
  ended_at: '2026-01-15T12:00:00.650Z',
  input: { customer_id: 'c-1042' },
  output: { orders: [{ id: 'o-77', status: 'shipped' }] },
};

/** `METHOD /path` → an example request body. */
export const REQUEST_EXAMPLES: Record<string, unknown> = {
  'POST /v1/traces': OTLP_JSON_EXAMPLE,
  'POST /otlp/v1/traces': OTLP_JSON_EXAMPLE,
  'POST /organizations': { name: 'Acme' },
  'POST /organizations/{org_id}/projects': { name: 'support-bot' },
  'POST /organizations/{org_id}/api-keys': { name: 'ci' },
  'POST /organizations/{org_id}/subscriptions/checkout': {
    plan: 'PRO',
    success_url: 'http://localhost:3000/org/acme/settings/billing',
    cancel_url: 'http://localhost:3000/org/acme/settings/plans',
  },
  'POST /organizations/{org_id}/subscriptions/portal': {
    return_url: 'http://localhost:3000/org/acme/settings/billing',
  },
  'POST /cli/auth/codes': {
    org_id: '0b7e3f9a-5d41-4c2e-9a8b-1f2e3d4c5b6a',
    project_id: '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    label: 'build-box',
    expires_days: 90,
  },
  'POST /cli/auth/exchange': {
    code: 'Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE',
    code_verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
  },
  'PATCH /organizations/{org_id}': { name: 'Acme Labs' },
  'PATCH /organizations/{org_id}/projects/{project_id}': { description: 'The customer support agent' },
  'PATCH /organizations/{org_id}/members/{user_id}': { role: 'ADMIN' },
  'POST /organizations/{org_id}/invitations': { email: 'colleague@example.com', role: 'MEMBER' },
  'PATCH /projects/current': { retention_days: 90 },
  'POST /traces': {
    name: 'support-chat',
    status: 'COMPLETED',
    started_at: '2026-01-15T12:00:00Z',
    ended_at: '2026-01-15T12:00:02Z',
    input: { messages: [{ role: 'user', content: 'Where is my order o-77?' }] },
    output: { messages: [{ role: 'assistant', content: 'Order o-77 shipped yesterday.' }] },
    user_id: 'c-1042',
    tags: ['demo', 'support'],
    environment: 'production',
    spans: [span],
  },
  // Names no trace of yours as it is: sent unchanged, it deletes nothing.
  'POST /traces/batch/delete': { trace_ids: ['00000000-0000-4000-8000-000000000000'] },
  'POST /traces/batch/tags': { trace_ids: [EXAMPLE_TRACE_ID], add_tags: ['reviewed'], remove_tags: ['todo'] },
  'PATCH /traces/{trace_id}': { status: 'COMPLETED', tags: ['demo', 'reviewed'], metadata: { reviewer: 'ana' } },
  'POST /traces/{trace_id}/spans': [
    {
      name: 'final_answer',
      kind: 'LLM',
      started_at: '2026-01-15T12:00:01Z',
      ended_at: '2026-01-15T12:00:02Z',
      model: 'gpt-4o-mini',
      token_usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
    },
  ],
  'PATCH /traces/{trace_id}/spans/{span_id}': { status: 'ERROR', error: 'timeout calling the orders API' },
  'POST /evaluations/trace-runs': {
    name: 'demo quality check',
    metrics: ['task_completion', 'confidence'],
    filters: { tags: ['demo'] },
    sampling_rate: 1,
  },
  'POST /evaluations/trace-runs/batch': { name: 'two traces', metrics: ['confidence'], trace_ids: [EXAMPLE_TRACE_ID] },
  'POST /evaluations/session-runs': {
    name: 'agent reliability check',
    metrics: ['agent_reliability', 'agent_consistency'],
    filters: { tags: ['demo'], min_trace_count: 2 },
  },
  'POST /evaluations/session-runs/batch': {
    name: 'one conversation',
    metrics: ['agent_reliability'],
    session_ids: [EXAMPLE_SESSION_ID],
    signal_weights: { tool_correctness: 1.0 },
  },
  'POST /evaluations/trace-scores': {
    trace_id: EXAMPLE_TRACE_ID,
    name: 'accuracy',
    value: '0.85',
    reason: 'checked by hand',
  },
  'PATCH /evaluations/trace-scores/{score_id}': { value: '0.9', reason: 'second look' },
  'POST /evaluations/monitors': {
    name: 'hourly demo quality',
    target_type: 'TRACE',
    metrics: ['task_completion'],
    filters: { tags: ['demo'] },
    cadence: 'every_1h',
    max_judge_calls_per_day: 5000,
  },
  'PATCH /evaluations/monitors/{monitor_id}': { cadence: 'cron:0 3 * * *', scope: 'new' },
  'POST /evaluations/custom-metrics': {
    name: 'refund_policy',
    description: 'Refunds only within the 30-day policy.',
    output_type: 'BOOLEAN',
    prompt_template:
      'Did the agent refund only within the 30-day policy?\nRequest: {{input}}\nTools:\n{{spans kind=TOOL}}',
  },
  'POST /evaluations/custom-metrics/preview': {
    trace_id: EXAMPLE_TRACE_ID,
    definition: { output_type: 'NUMERIC', prompt_template: 'How polite was the reply? {{output}}' },
  },
  'PATCH /evaluations/custom-metrics/{name}': {
    prompt_template: 'Within policy (30 days, receipt present)? {{input}} {{spans kind=TOOL}} {{output}}',
  },
  'POST /evaluations/custom-metrics/{name}/preview': { trace_id: EXAMPLE_TRACE_ID, judge: true },
  'PUT /evaluations/transcript-settings': { enabled: true },
};

const detail = (text: string) => ({ detail: text });

/** What a missing or foreign object is called in its 404, by path parameter. */
const NOT_FOUND_BY_PARAM: Record<string, string> = {
  span_id: `Span ${EXAMPLE_SPAN_ID} not found on trace ${EXAMPLE_TRACE_ID}.`,
  trace_id: `Trace ${EXAMPLE_TRACE_ID} not found.`,
  run_id: `Eval run ${RUN_ID} not found.`,
  score_id: 'Score 8e7d6c5b-4a39-4281-b7c6-d5e4f3a2b1c0 not found.',
  key_id: 'API key 3f2e1d0c-9b8a-4776-a5b4-c3d2e1f0a9b8 not found.',
  session_id: 'Session 9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d not found.',
  monitor_id: 'Monitor 9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a not found.',
};

/** 404s of the management routes' own ids (docs/identity.md). */
const USER_NOT_FOUND: Record<string, string> = {
  project_id: 'Project 5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d not found.',
  user_id: 'Member not found: the user is not a member of this organization.',
  invitation_id: 'Invitation not found.',
};

/** Path ids that are client-chosen text, not UUIDs: what makes one malformed. */
const TEXT_ID_PARAMS: Record<string, { summary: string; message: string }> = {
  name: { summary: 'name is not a custom metric name', message: 'name must be a custom metric name (snake_case)' },
  version: { summary: 'version is below 1', message: 'version must not be less than 1' },
  session_id: {
    summary: 'session_id is longer than 255 characters',
    message: 'session_id must be shorter than or equal to 255 characters',
  },
};

const PROJECT_NOT_FOUND = detail('Project 5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d not found.');
const SCOPE_MISSING = detail(
  'Project scope required. Send X-Project-Name with an API key (or X-Project-ID with a Bearer token).',
);
/** Each window limit's default (RATE_LIMIT_DEFAULT, RATE_LIMIT_EVAL_RUNS, RATE_LIMIT_MONITOR_TRIGGER per minute). */
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
const rateLimited = (limit: string) =>
  limit === 'ingest'
    ? { detail: `${INGEST_LIMITED}. Retry after 1 second.`, error: INGEST_LIMITED }
    : {
        detail: `Rate limit exceeded: ${DEFAULT_LIMITS[limit].join(' per ')}. Retry after 42 seconds.`,
        error: `Rate limit exceeded: ${DEFAULT_LIMITS[limit].join(' per ')}`,
      };

/** GET /traces/{trace_id} with every large-read permit taken (MAX_LARGE_READS, LARGE_READ_BYTES defaults). */
const LARGE_READS = {
  summary: 'Every large-read permit is taken; see Retry-After',
  value: {
    detail:
      'Too many large reads in progress: at most 2 reads of more than 1048576 bytes at once (MAX_LARGE_READS). Retry after 1 second.',
    error: 'Too many large reads in progress: at most 2 reads of more than 1048576 bytes at once (MAX_LARGE_READS)',
  },
};

const MiB20 = 20 * 1024 * 1024;
/** 409 and 413 by route: what each can actually answer (the messages of the code, default limits). */
const OTHER_ERRORS: Record<string, Record<string, Examples>> = {
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

type Examples = Record<string, { summary: string; value: unknown }>;
type Response = { description?: string; content?: Record<string, Record<string, unknown>> };
type Operation = {
  responses: Record<string, Response>;
  requestBody?: { content?: Record<string, Record<string, unknown>> };
  security?: Record<string, unknown>[];
  parameters?: unknown[];
  'x-rate-limit'?: string;
};

/**
 * A malformed id in the path (the last one): a UUID parameter that is not one, or a text id that is too
 * long. Data-plane routes name the field; the management routes' pipe answers with a bare detail.
 */
function validationExample(pathParams: string[], management = false): Examples {
  const param = pathParams[pathParams.length - 1];
  if (!param) return {};
  const text = TEXT_ID_PARAMS[param];
  if (text) {
    return {
      bad_id: {
        summary: text.summary,
        value: { detail: 'Validation error', errors: [{ field: param, message: text.message }] },
      },
    };
  }
  return {
    bad_id: {
      summary: `${param} is not a UUID`,
      value: management
        ? detail('Validation failed (uuid v 4 is expected)')
        : { detail: 'Validation error', errors: [{ field: param, message: `${param} must be a UUID` }] },
    },
  };
}

/** Management routes whose path ids are validated like the data plane's (field errors), not by the bare-detail pipe. */
const FIELD_ERROR_ROUTES = /^\/organizations\/\{org_id\}\/(api-keys\/\{key_id\}|subscriptions)/;

/** Routes whose id parameter filters rather than looks up: an unknown id is an empty answer, not a 404. */
const NO_LOOKUP = new Set([
  'GET /evaluations/trace-scores/{trace_id}',
  'GET /evaluations/session-scores/{session_id}',
  'GET /evaluations/analytics/session-scores/history/{session_id}',
]);

function setExamples(response: Response | undefined, examples: Examples) {
  const media = response?.content?.['application/json'];
  if (!media || Object.keys(examples).length === 0) return;
  delete media.example;
  media.examples = examples;
}

/** Adds the request examples and the per-status error examples; drops responses a route cannot give. */
export function applyExamples(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item) as [string, Operation][]) {
      const key = `${method.toUpperCase()} ${path}`;
      // Decorators applied to a whole controller share their response objects between operations.
      const responses = (operation.responses = structuredClone(operation.responses));
      const media = operation.requestBody?.content?.['application/json'];
      if (media && key in REQUEST_EXAMPLES) media.example = REQUEST_EXAMPLES[key];

      for (const [status, examples] of Object.entries(OTHER_ERRORS[key] ?? {}))
        setExamples(responses[status], examples);

      const security: Record<string, unknown>[] = operation.security ?? [];
      const projectRoute = security.some((s) => 'ProjectName' in s);
      const userRoute = !projectRoute && security.some((s) => 'Bearer' in s);
      if (!projectRoute && !userRoute) continue;
      const pathParams = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const hasInput = Boolean(operation.requestBody) || (operation.parameters ?? []).length > 0;

      if (projectRoute) {
        setExamples(responses['401'], {
          invalid_key: { summary: 'Unknown or revoked API key', value: detail('Invalid or revoked API key.') },
        });
        // A project the caller is no member of is answered like one that does not exist (404).
        if (key === 'PATCH /projects/current') {
          setExamples(responses['403'], {
            api_key: {
              summary: 'An API key (retention takes a Bearer token of an OWNER or ADMIN)',
              value: detail(
                'Changing retention_days needs a Bearer token of an OWNER or ADMIN of the organization; API keys cannot.',
              ),
            },
          });
        } else delete responses['403'];
        const notFound: Examples = {};
        const lookedUp = NO_LOOKUP.has(key) ? [] : pathParams.filter((p) => p in NOT_FOUND_BY_PARAM);
        for (const param of [...lookedUp].reverse())
          notFound[param] = {
            summary: `No such ${param.replace(/_id$/, '')} in the project`,
            value: detail(NOT_FOUND_BY_PARAM[param]),
          };
        if (key === 'POST /evaluations/trace-scores')
          notFound.trace_id = { summary: 'No such trace in the project', value: detail(NOT_FOUND_BY_PARAM.trace_id) };
        notFound.project = {
          summary: 'X-Project-ID names no project the caller is a member of',
          value: PROJECT_NOT_FOUND,
        };
        setExamples(responses['404'], notFound);
        if (responses['404'])
          responses['404'].description = lookedUp.length
            ? 'Not found in this project, or X-Project-ID names no project of yours.'
            : 'X-Project-ID names no project of yours.';
        setExamples(responses['422'], {
          project_scope: { summary: 'No X-Project-Name / X-Project-ID', value: SCOPE_MISSING },
          ...validationExample(pathParams),
        });
        if (responses['422'])
          responses['422'].description = hasInput ? 'Invalid input, or no project scope.' : 'No project scope.';
      } else {
        setExamples(responses['401'], {
          missing: {
            summary: 'No bearer token',
            value: detail('Missing credentials. Provide Authorization: Bearer <token>.'),
          },
        });
        if (path.startsWith('/me/invitations/')) {
          // The invitee's own routes: 403 is another person's invitation (no example: it takes a second user).
          setExamples(responses['404'], {
            invitation_id: { summary: 'No such invitation', value: detail(USER_NOT_FOUND.invitation_id) },
          });
        } else if (!pathParams.includes('org_id')) {
          // Without an organization in the path there is no membership to check and nothing to find.
          delete responses['403'];
          delete responses['404'];
        } else {
          setExamples(responses['403'], {
            not_member: {
              summary: 'Not a member of the organization',
              value: detail('You are not a member of this organization.'),
            },
          });
          const notFound: Examples = {};
          if (pathParams.includes('key_id'))
            notFound.key_id = { summary: 'No such API key', value: detail(NOT_FOUND_BY_PARAM.key_id) };
          for (const param of pathParams.filter((p) => p in USER_NOT_FOUND))
            notFound[param] = { summary: `No such ${param.replace(/_id$/, '')}`, value: detail(USER_NOT_FOUND[param]) };
          if (Object.keys(notFound).length) setExamples(responses['404'], notFound);
          else delete responses['404'];
        }
        if (!hasInput) delete responses['422'];
        else setExamples(responses['422'], validationExample(pathParams, !FIELD_ERROR_ROUTES.test(path)));
      }
      setExamples(responses['429'], {
        rate_limited: {
          summary: 'Too many requests; see Retry-After',
          value: rateLimited(operation['x-rate-limit'] ?? 'default'),
        },
        ...(key === 'GET /traces/{trace_id}' ? { large_reads: LARGE_READS } : {}),
      });
    }
  }
  return document;
}
