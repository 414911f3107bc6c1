/**
 * The main flow through a client generated from our OpenAPI document: openapi-typescript turns the
 * committed openapi.json into test/generated/api.d.ts (`npm run client:generate`, part of `npm test`),
 * and openapi-fetch is typed by it. `tsc --noEmit` (also in `npm test`) fails when the document
 * describes a body, a parameter or a response too loosely or wrongly for this code to compile; at
 * run time every answer is checked against the documented response of its route and status.
 */
import { randomUUID } from 'node:crypto';
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from '../generated/api';
import { JudgeServer, startJudgeServer } from '../support/judge-server';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';
import { scopedPrefix } from '../support/test-env';

type Schemas = components['schemas'];
type TraceBody = Schemas['TraceCreateDto'];
type Run = Schemas['EvalRunResponse'];
type Score = Schemas['TraceScoreResponse'];

// ---- compile-time checks: the document's nullability and enums are what the wire sends -------------
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const typeChecks: [
  Equals<Score['value'], string | null>,
  Equals<Score['reason'], string | null>,
  Equals<Score['status'], 'SUCCESS' | 'FAILED' | 'PENDING'>,
  Equals<Run['status'], 'PENDING' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED'>,
  Equals<Run['completed_at'], string | null>,
  Equals<Run['model'], string | null>,
  Equals<TraceBody['session_id'], string | null | undefined>,
  Equals<Schemas['TraceListItemDto']['latency_ms'], number | null>,
] = [true, true, true, true, true, true, true, true];
void typeChecks;

// ---- run-time checks: every answer matches the documented schema of its route and status ------------
type JsonSchema = {
  $ref?: string;
  type?: string;
  nullable?: boolean;
  enum?: unknown[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  format?: string;
};
type OpenApiDoc = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }> }>
  >;
  components: { schemas: Record<string, JsonSchema> };
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The problems of `value` against `schema` (a small OpenAPI 3.0 subset: what our document uses). */
function conformance(doc: OpenApiDoc, schema: JsonSchema, value: unknown, at = '$'): string[] {
  if (schema.$ref)
    return conformance(doc, doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')], value, at);
  if (value === null) return schema.nullable ? [] : [`${at}: null, but the document does not say nullable`];
  if (schema.allOf) return schema.allOf.flatMap((s) => conformance(doc, s, value, at));
  if (schema.oneOf) {
    const matches = schema.oneOf.filter((s) => conformance(doc, s, value, at).length === 0);
    return matches.length > 0 ? [] : [`${at}: matches none of oneOf`];
  }
  if (schema.enum && !schema.enum.includes(value))
    return [`${at}: ${JSON.stringify(value)} not in enum ${JSON.stringify(schema.enum)}`];
  const problems: string[] = [];
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') return [`${at}: expected string, got ${JSON.stringify(value)}`];
      if (schema.format === 'uuid' && !UUID.test(value)) problems.push(`${at}: not a uuid: ${value}`);
      if (schema.format === 'date-time' && Number.isNaN(Date.parse(value)))
        problems.push(`${at}: not a date-time: ${value}`);
      return problems;
    case 'integer':
      return Number.isInteger(value) ? [] : [`${at}: expected integer, got ${JSON.stringify(value)}`];
    case 'number':
      return typeof value === 'number' ? [] : [`${at}: expected number, got ${JSON.stringify(value)}`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: expected boolean, got ${JSON.stringify(value)}`];
    case 'array':
      if (!Array.isArray(value)) return [`${at}: expected array`];
      return schema.items ? value.flatMap((v, i) => conformance(doc, schema.items!, v, `${at}[${i}]`)) : [];
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return [`${at}: expected object`];
      const record = value as Record<string, unknown>;
      for (const key of schema.required ?? [])
        if (!(key in record)) problems.push(`${at}.${key}: required but missing`);
      for (const [key, v] of Object.entries(record)) {
        const prop = schema.properties?.[key];
        if (prop) problems.push(...conformance(doc, prop, v, `${at}.${key}`));
        else if (typeof schema.additionalProperties === 'object')
          problems.push(...conformance(doc, schema.additionalProperties, v, `${at}.${key}`));
        else if (schema.properties && !schema.additionalProperties) problems.push(`${at}.${key}: not in the document`);
      }
      return problems;
    }
    case undefined:
      return [];
    default:
      return [`${at}: unknown schema type ${schema.type}`];
  }
}

describe('generated client (openapi-typescript + openapi-fetch) drives the main flow', () => {
  let judge: JudgeServer;
  let t: TestApp;
  let tenant: Tenant;
  let doc: OpenApiDoc;
  /** Problems found by the conformance middleware, by request. */
  const problems: string[] = [];
  let checked = 0;

  const conform: Middleware = {
    async onResponse({ request, response, schemaPath }) {
      const method = request.method.toLowerCase();
      const op = doc.paths[schemaPath]?.[method];
      const where = `${request.method} ${schemaPath} → ${response.status}`;
      if (!op) return void problems.push(`${where}: route not in the document`);
      const documented = op.responses[String(response.status)];
      if (!documented) return void problems.push(`${where}: status not in the document`);
      const schema = documented.content?.['application/json']?.schema;
      const text = await response.clone().text();
      checked += 1;
      if (!schema) {
        if (text.length > 0) problems.push(`${where}: a body the document does not describe`);
        return;
      }
      if (!(response.headers.get('content-type') ?? '').includes('application/json'))
        problems.push(`${where}: not JSON`);
      problems.push(...conformance(doc, schema, JSON.parse(text)).map((p) => `${where}: ${p}`));
    },
  };

  const client = () => {
    const c = createClient<paths>({ baseUrl: t.baseUrl, headers: tenant.headers });
    c.use(conform);
    return c;
  };

  beforeAll(async () => {
    judge = await startJudgeServer();
    t = await createTestApp({
      RUN_WORKER_IN_PROCESS: 'true',
      OPENAI_BASE_URL: judge.baseUrl,
      OPENAI_API_KEY: 'sk-test',
      EVAL_LLM_MODEL: 'openai/judge-test',
      EVAL_EMBEDDING_MODEL: 'openai/embed-test',
      EVAL_SWEEP_INTERVAL_MS: '500',
      JUDGE_RETRY_BASE_MS: '5',
      QUEUE_PREFIX: scopedPrefix('gc'),
    });
    tenant = await createTenant(t);
    doc = (await (await fetch(`${t.baseUrl}/openapi.json`)).json()) as OpenApiDoc;
  });

  afterAll(async () => {
    await t?.close();
    await judge?.close();
  });

  afterEach(() => {
    expect(problems.splice(0)).toEqual([]);
  });

  const tag = `gc-${randomUUID().slice(0, 8)}`;
  const METRICS = ['task_completion', 'tool_correctness', 'argument_correctness', 'confidence', 'coherence'];
  const ingested: string[] = [];
  let run: Run;

  /** Realistic shapes: message lists, plain strings, arrays, numbers as span input/output. */
  const traces = (): TraceBody[] => [
    {
      trace_id: randomUUID(),
      name: 'support-turn',
      started_at: '2026-03-02T09:00:00Z',
      ended_at: '2026-03-02T09:00:03.5Z',
      session_id: 'sess-42',
      user_id: 'user-7',
      tags: [tag, 'support'],
      environment: 'production',
      release: 'v1.4.0',
      metadata: { channel: 'web' },
      input: { messages: [{ role: 'user', content: 'Where is order 1234?' }] },
      output: { messages: [{ role: 'assistant', content: 'Order 1234 ships tomorrow.' }] },
      spans: [
        {
          span_id: randomUUID(),
          name: 'lookup_order',
          kind: 'TOOL',
          status: 'OK',
          started_at: '2026-03-02T09:00:00.5Z',
          ended_at: '2026-03-02T09:00:01Z',
          input: { order_id: '1234' },
          output: { status: 'packed', eta_days: 1 },
        },
        {
          name: 'answer',
          kind: 'LLM',
          status: 'OK',
          model: 'gpt-4o-mini',
          started_at: '2026-03-02T09:00:01Z',
          ended_at: '2026-03-02T09:00:03Z',
          input: [{ role: 'user', content: 'Where is order 1234?' }],
          output: 'Order 1234 ships tomorrow.',
          token_usage: { prompt_tokens: 120, completion_tokens: 14, total_tokens: 134 },
          cost: { input: 0.00002, output: 0.00001, total: 0.00003 },
          model_parameters: { temperature: 0 },
        },
      ],
    },
    {
      trace_id: randomUUID(),
      name: 'rag-answer',
      status: 'COMPLETED',
      started_at: '2026-03-02T10:00:00Z',
      ended_at: '2026-03-02T10:00:02Z',
      tags: [tag],
      input: 'What is our refund window?',
      output: 'Refunds are accepted within 30 days.',
      spans: [
        {
          name: 'retrieve',
          kind: 'RETRIEVER',
          started_at: '2026-03-02T10:00:00.1Z',
          ended_at: '2026-03-02T10:00:00.4Z',
          input: 'refund window',
          output: [{ doc: 'policy.md', score: 0.91 }],
        },
      ],
    },
    {
      name: 'failed-lookup',
      status: 'ERROR',
      started_at: '2026-03-02T11:00:00Z',
      ended_at: null,
      tags: [tag],
      input: 42,
      output: null,
      spans: [
        { name: 'db', kind: 'TOOL', status: 'ERROR', started_at: '2026-03-02T11:00:00Z', error: 'connection reset' },
      ],
    },
  ];

  it('ingests traces (202 with ids) and reads them back', async () => {
    const api = client();
    for (const body of traces()) {
      const { data, error, response } = await api.POST('/traces', { body });
      expect(error).toBeUndefined();
      expect(response.status).toBe(202);
      expect(data!.trace_id).toMatch(UUID);
      if (body.trace_id) expect(data!.trace_id).toBe(body.trace_id);
      ingested.push(data!.trace_id);
    }

    const page = await api.GET('/traces', {
      params: { query: { tags: [tag], sort_by: 'started_at', sort_order: 'asc', limit: 10 } },
    });
    expect(page.data!.total).toBe(3);
    expect(page.data!.items.map((i) => i.trace_id)).toEqual(ingested);
    expect(page.data!.items[0]).toMatchObject({
      name: 'support-turn',
      span_count: 2,
      total_tokens: 134,
      session_id: 'sess-42',
    });

    const one = await api.GET('/traces/{trace_id}', { params: { path: { trace_id: ingested[0] } } });
    expect(one.data!.spans.map((s) => s.kind).sort()).toEqual(['LLM', 'TOOL']);
    expect(one.data!.spans.find((s) => s.kind === 'LLM')!.output).toBe('Order 1234 ships tomorrow.');
  });

  it('creates a filtered run (202, PENDING) and polls it to COMPLETED', async () => {
    const api = client();
    const created = await api.POST('/evaluations/trace-runs', {
      body: {
        name: 'generated-client',
        metrics: METRICS,
        filters: { tags: [tag], status: 'COMPLETED' },
        sampling_rate: 1,
      },
    });
    expect(created.error).toBeUndefined();
    expect(created.response.status).toBe(202);
    run = created.data!;
    expect(run).toMatchObject({
      status: 'PENDING',
      total_targets: 2,
      total_traces: 2,
      metric_names: METRICS,
      model: 'openai/judge-test',
    });

    const deadline = Date.now() + 30_000;
    while (run.status === 'PENDING' || run.status === 'RUNNING') {
      if (Date.now() > deadline) throw new Error(`run did not finish: ${JSON.stringify(run)}`);
      await new Promise((r) => setTimeout(r, 100));
      const polled = await api.GET('/evaluations/trace-runs/{run_id}', { params: { path: { run_id: run.id } } });
      run = polled.data!;
    }
    expect(run).toMatchObject({
      status: 'COMPLETED',
      evaluated_count: 2,
      failed_count: 0,
      succeeded_count: 2 * METRICS.length,
    });
    expect(run.completed_at).not.toBeNull();
    expect(run.judge_usage.calls).toBeGreaterThan(0);
  });

  it("reads the run's scores (one per trace and metric) and finds the run in the list", async () => {
    const api = client();
    const { data: scores } = await api.GET('/evaluations/trace-runs/{run_id}/scores', {
      params: { path: { run_id: run.id } },
    });
    expect(scores).toHaveLength(2 * METRICS.length);
    const pairs = new Set(scores!.map((s) => `${s.trace_id}:${s.name}`));
    expect(pairs.size).toBe(2 * METRICS.length);
    for (const s of scores!) {
      expect(s).toMatchObject({ status: 'SUCCESS', source: 'AUTOMATED', data_type: 'NUMERIC', eval_run_id: run.id });
      const value = Number(s.value);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1);
    }
    expect(new Set(scores!.map((s) => s.trace_id))).toEqual(new Set(ingested.slice(0, 2)));

    const list = await api.GET('/evaluations/trace-runs', { params: { query: { status: 'COMPLETED', limit: 50 } } });
    expect(list.data!.items.map((r) => r.id)).toContain(run.id);

    const latest = await api.GET('/evaluations/trace-scores/{trace_id}', {
      params: { path: { trace_id: ingested[0] } },
    });
    expect(latest.data!.map((s) => s.name).sort()).toEqual([...METRICS].sort());
  });

  it('gets documented, typed errors', async () => {
    const api = client();
    const unknownMetric = await api.POST('/evaluations/trace-runs', {
      body: { metrics: ['no_such_metric'], filters: { tags: [tag] } },
    });
    expect(unknownMetric.response.status).toBe(422);
    expect(unknownMetric.error!.detail).toMatch(/no_such_metric/);

    const badBody = await api.POST('/evaluations/trace-runs', { body: { metrics: ['confidence'], sampling_rate: 2 } });
    expect(badBody.response.status).toBe(422);
    expect(badBody.error).toMatchObject({ detail: 'Validation error' });

    const missing = await api.GET('/evaluations/trace-runs/{run_id}', { params: { path: { run_id: randomUUID() } } });
    expect(missing.response.status).toBe(404);
    expect(typeof missing.error!.detail).toBe('string');

    const anonymous = createClient<paths>({ baseUrl: t.baseUrl });
    anonymous.use(conform);
    const denied = await anonymous.GET('/traces', {});
    expect(denied.response.status).toBe(401);
    expect(denied.error!.detail).toBeTruthy();
  });

  it('checked every answer against the document', () => {
    expect(checked).toBeGreaterThanOrEqual(12);
  });
});
