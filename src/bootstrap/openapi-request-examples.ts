/**
 * Request bodies of the OpenAPI document's examples: each works when sent as it is against the demo
 * data (`npm run demo`: traces tagged `demo`; ids are placeholders for one of yours). A test replays
 * each of them against a running instance (test/e2e/openapi-examples.e2e-spec.ts).
 */
import { OTLP_JSON_EXAMPLE } from '../modules/otlp/dto/export-response.dto';

/** Stands for an id of yours in the examples below. */
export const EXAMPLE_TRACE_ID = '6f1c2a9e-3b4d-4c5e-8f70-1a2b3c4d5e6f';
export const EXAMPLE_SPAN_ID = '0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f';
export const EXAMPLE_SESSION_ID = 'sess-support-42';
export const RUN_ID = '2c9d7e10-5a4b-4f3e-9d8c-7b6a5f4e3d2c';

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
