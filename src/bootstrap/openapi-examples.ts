import type { OpenAPIObject } from '@nestjs/swagger';
import { EXAMPLE_SPAN_ID, EXAMPLE_TRACE_ID, REQUEST_EXAMPLES, RUN_ID } from './openapi-request-examples';
import { detail, Examples, OTHER_ERRORS, rateLimited } from './openapi-route-errors';

/**
 * Examples in the OpenAPI document that are true: request bodies that work when sent as they are
 * against the demo data (openapi-request-examples.ts), and per-status error examples that the route
 * can actually return (the common ones here, each route's own 409/413/422 in openapi-route-errors.ts). A test replays each
 * of them against a running instance (test/e2e/openapi-examples.e2e-spec.ts).
 */

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
/** GET /traces/{trace_id} with every large-read permit taken (MAX_LARGE_READS, LARGE_READ_BYTES defaults). */
const LARGE_READS = {
  summary: 'Every large-read permit is taken; see Retry-After',
  value: {
    detail:
      'Too many large reads in progress: at most 2 reads of more than 1048576 bytes at once (MAX_LARGE_READS). Retry after 1 second.',
    error: 'Too many large reads in progress: at most 2 reads of more than 1048576 bytes at once (MAX_LARGE_READS)',
  },
};

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
