import { context, diag, DiagLogLevel, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { gzipSync } from 'node:zlib';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';
import { otelProvider, spanUuidOf, traceUuidOf, type OtlpProtocol } from '../support/otel';

const child = (tracer: Tracer, parent: Span, name: string, attributes: Record<string, string | number | string[]>) =>
  tracer.startSpan(name, { attributes }, trace.setSpan(context.active(), parent));

/**
 * An agent run as the GenAI semantic conventions describe it: invoke_agent → chat (asks for a tool)
 * → execute_tool → chat (answers), plus a failing tool. Returns the OTel ids.
 */
function recordAgentRun(tracer: Tracer, session: string): { traceId: string; spans: Record<string, string> } {
  const root = tracer.startSpan('support-agent', {
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'support-agent',
      'session.id': session,
      'enduser.id': 'user-42',
      'gen_ai.input.messages': JSON.stringify([
        { role: 'user', parts: [{ type: 'text', content: 'Where is order 42?' }] },
      ]),
      'gen_ai.output.messages': JSON.stringify([
        { role: 'assistant', parts: [{ type: 'text', content: 'Order 42 shipped yesterday.' }] },
      ]),
      'langfuse.trace.tags': ['otel', 'e2e'],
      'app.channel': 'chat',
    },
  });
  const plan = child(tracer, root, 'chat gpt-4o-mini', {
    'gen_ai.operation.name': 'chat',
    'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
    'gen_ai.request.temperature': 0.2,
    'gen_ai.usage.input_tokens': 120,
    'gen_ai.usage.output_tokens': 30,
    'gen_ai.input.messages': JSON.stringify([
      { role: 'user', parts: [{ type: 'text', content: 'Where is order 42?' }] },
    ]),
    'gen_ai.output.messages': JSON.stringify([
      {
        role: 'assistant',
        parts: [{ type: 'tool_call', id: 'call_1', name: 'lookup_order', arguments: { order_id: 42 } }],
      },
    ]),
  });
  plan.end();
  const tool = child(tracer, root, 'execute_tool lookup_order', {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': 'lookup_order',
    'gen_ai.tool.call.id': 'call_1',
    'gen_ai.tool.call.arguments': '{"order_id":42}',
    'gen_ai.tool.call.result': '{"status":"shipped"}',
  });
  tool.end();
  const failing = child(tracer, root, 'execute_tool refund', {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': 'refund',
  });
  failing.recordException(new TypeError('refund service down'));
  failing.setStatus({ code: SpanStatusCode.ERROR, message: 'refund failed' });
  failing.end();
  const answer = child(tracer, root, 'chat gpt-4o-mini', {
    'gen_ai.operation.name': 'chat',
    'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.usage.input_tokens': 200,
    'gen_ai.usage.output_tokens': 12,
  });
  answer.addEvent('gen_ai.user.message', { content: 'Where is order 42?' });
  answer.addEvent('gen_ai.tool.message', { content: '{"status":"shipped"}', id: 'call_1' });
  answer.addEvent('gen_ai.choice', {
    index: 0,
    finish_reason: 'stop',
    message: '{"role":"assistant","content":"Order 42 shipped yesterday."}',
  });
  answer.end();
  root.end();
  const id = (s: Span) => s.spanContext().spanId;
  return {
    traceId: root.spanContext().traceId,
    spans: { root: id(root), plan: id(plan), tool: id(tool), failing: id(failing), answer: id(answer) },
  };
}

describe('OTLP/HTTP trace ingestion with the OpenTelemetry JS SDK and its exporters', () => {
  let t: TestApp;
  let tenant: Tenant;

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_INGEST: '100000', RATE_LIMIT_INGEST_BURST: '100000' });
    tenant = await createTenant(t);
  });
  afterAll(() => t.close());

  const getTrace = async (traceId: string, who: Tenant = tenant) =>
    (
      await t.http
        .get(`/traces/${traceUuidOf(traceId)}`)
        .set(who.headers)
        .expect(200)
    ).body;

  async function export1(protocol: OtlpProtocol, session: string, path?: string) {
    const provider = otelProvider(t.baseUrl, tenant, {
      protocol,
      path,
      resource: { 'deployment.environment.name': 'staging', 'service.version': 'v1.2.3' },
    });
    const run = recordAgentRun(provider.getTracer('e2e'), session);
    await provider.forceFlush();
    await provider.shutdown();
    return run;
  }

  it.each<[OtlpProtocol, string | undefined]>([
    ['proto', undefined],
    ['json', undefined],
    ['proto', '/otlp/v1/traces'],
  ])('maps a GenAI-convention agent run sent as %s (path %s) field by field', async (protocol, path) => {
    const { traceId, spans } = await export1(protocol, `sess-${protocol}`, path);
    const got = await getTrace(traceId);
    expect(got).toMatchObject({
      trace_id: traceUuidOf(traceId),
      name: 'support-agent',
      status: 'COMPLETED',
      session_id: `sess-${protocol}`,
      user_id: 'user-42',
      environment: 'staging',
      release: 'v1.2.3',
      span_count: 5,
      total_tokens: 362,
      input: { messages: [{ role: 'user', content: 'Where is order 42?' }] },
      output: { messages: [{ role: 'assistant', content: 'Order 42 shipped yesterday.' }] },
    });
    expect(got.tags.sort()).toEqual(['e2e', 'otel']);
    expect(got.metadata).toMatchObject({ 'service.name': 'otel-e2e', 'otel.trace_id': traceId });
    const byId = Object.fromEntries(got.spans.map((s: { span_id: string }) => [s.span_id, s]));
    expect(byId[spanUuidOf(spans.root)]).toMatchObject({ kind: 'AGENT', parent_span_id: null, status: 'UNSET' });
    expect(byId[spanUuidOf(spans.root)].metadata).toMatchObject({ 'app.channel': 'chat', 'otel.scope.name': 'e2e' });
    expect(byId[spanUuidOf(spans.root)].metadata).not.toHaveProperty('gen_ai.agent.name');
    expect(byId[spanUuidOf(spans.plan)]).toMatchObject({
      kind: 'LLM',
      parent_span_id: spanUuidOf(spans.root),
      model: 'gpt-4o-mini-2024-07-18',
      token_usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 },
      model_parameters: { temperature: 0.2 },
      input: { messages: [{ role: 'user', content: 'Where is order 42?' }] },
      output: {
        messages: [
          {
            role: 'assistant',
            tool_calls: [
              { id: 'call_1', type: 'function', function: { name: 'lookup_order', arguments: '{"order_id":42}' } },
            ],
          },
        ],
      },
    });
    expect(byId[spanUuidOf(spans.tool)]).toMatchObject({
      kind: 'TOOL',
      name: 'execute_tool lookup_order',
      input: { order_id: 42 },
      output: { status: 'shipped' },
    });
    expect(byId[spanUuidOf(spans.failing)]).toMatchObject({ kind: 'TOOL', status: 'ERROR', error: 'refund failed' });
    expect(byId[spanUuidOf(spans.answer)]).toMatchObject({
      kind: 'LLM',
      model: 'gpt-4o-mini',
      input: {
        messages: [
          { role: 'user', content: 'Where is order 42?' },
          { role: 'tool', content: { status: 'shipped' }, tool_call_id: 'call_1' },
        ],
      },
      output: { messages: [{ role: 'assistant', content: 'Order 42 shipped yesterday.' }] },
    });
  });

  it('merges a trace exported span by span, children before their parent, as SDK re-posts merge', async () => {
    const provider = otelProvider(t.baseUrl, tenant, { simple: true });
    const tracer = provider.getTracer('e2e');
    const root = tracer.startSpan('split-agent', {
      attributes: { 'openinference.span.kind': 'AGENT', 'user.id': 'u-split' },
    });
    const first = child(tracer, root, 'step-1', { 'openinference.span.kind': 'TOOL', 'session.id': 'sess-split' });
    first.end();
    await provider.forceFlush();
    const traceId = root.spanContext().traceId;

    // Only the child is here: a provisional trace holds it.
    const early = await getTrace(traceId);
    expect(early).toMatchObject({ status: 'RUNNING', span_count: 1, session_id: 'sess-split' });

    root.end();
    await provider.forceFlush();
    const done = await getTrace(traceId);
    expect(done).toMatchObject({
      name: 'split-agent',
      status: 'COMPLETED',
      span_count: 2,
      session_id: 'sess-split',
      user_id: 'u-split',
    });
    expect(Date.parse(done.started_at)).toBeLessThanOrEqual(Date.parse(done.spans[1].started_at));

    // A late child after its root: merged in, the root's fields stay.
    const late = child(tracer, root, 'late-step', { 'openinference.span.kind': 'CHAIN' });
    late.end();
    await provider.forceFlush();
    await provider.shutdown();
    const after = await getTrace(traceId);
    expect(after).toMatchObject({
      name: 'split-agent',
      status: 'COMPLETED',
      span_count: 3,
      ended_at: done.ended_at,
      started_at: done.started_at,
    });
  });

  it('writes the spans of concurrent split exports of one trace exactly once, whatever their order', async () => {
    const traceId = 'ab'.repeat(16);
    const span = (id: string, parent: string, name: string) => ({
      traceId,
      spanId: id,
      parentSpanId: parent,
      name,
      kind: 1,
      startTimeUnixNano: `${BigInt(Date.now()) * 1_000_000n}`,
      endTimeUnixNano: `${BigInt(Date.now() + 5) * 1_000_000n}`,
      attributes: [{ key: 'openinference.span.kind', value: { stringValue: 'CHAIN' } }],
    });
    const body = (spans: object[]) => ({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans }] }] });
    const rootId = '1'.repeat(16);
    const exports = [body([span(rootId, '', 'concurrent-root')])];
    for (let i = 2; i < 10; i++) exports.push(body([span(String(i).repeat(16), rootId, `child-${i}`)]));
    await Promise.all(exports.map((b) => t.http.post('/v1/traces').set(tenant.headers).send(b).expect(200, {})));
    const got = await getTrace(traceId);
    expect(got).toMatchObject({ name: 'concurrent-root', status: 'COMPLETED', span_count: 9 });
  });

  it('answers partial success for spans it cannot store, in JSON and in protobuf (read by the real exporter)', async () => {
    const good = {
      traceId: 'cd'.repeat(16),
      spanId: 'ef'.repeat(8),
      name: 'ok',
      startTimeUnixNano: '1765000000000000000',
    };
    const bad = [
      { ...good, spanId: '0'.repeat(16), name: 'zero span id' },
      { ...good, traceId: 'abc', spanId: '12'.repeat(8) },
      { ...good, spanId: '34'.repeat(8), startTimeUnixNano: '0' },
      { ...good, spanId: '56'.repeat(8), name: 'x'.repeat(600) },
    ];
    const res = await t.http
      .post('/v1/traces')
      .set(tenant.headers)
      .send({ resourceSpans: [{ scopeSpans: [{ spans: [good, ...bad] }] }] })
      .expect(200);
    expect(res.body.partialSuccess.rejectedSpans).toBe(4);
    expect(res.body.partialSuccess.errorMessage).toMatch(/span_id must be 8 bytes/);
    expect(res.body.partialSuccess.errorMessage).toMatch(/name must be 1 to 512 characters/);
    expect((await getTrace(good.traceId)).span_count).toBe(1);

    // The protobuf exporter decodes our protobuf answer and reports the partial success.
    const warnings: string[] = [];
    diag.setLogger(
      {
        verbose() {},
        debug() {},
        info() {},
        error() {},
        warn: (m: string, ...a: unknown[]) => void warnings.push(`${m} ${JSON.stringify(a)}`),
      },
      DiagLogLevel.WARN,
    );
    const provider = otelProvider(t.baseUrl, tenant);
    const s = provider.getTracer('e2e').startSpan('x'.repeat(600));
    s.end();
    await provider.forceFlush();
    await provider.shutdown();
    diag.disable();
    expect(warnings.join('\n')).toMatch(/rejectedSpans.{0,4}1|"rejectedSpans":"?1/);
  });

  it('keeps tenants apart: another project cannot write into, nor read, a trace id it does not own', async () => {
    const other = await createTenant(t);
    const { traceId } = await export1('json', 'sess-owner');
    const theirs = {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [{ traceId, spanId: '77'.repeat(8), name: 'intruder', startTimeUnixNano: '1765000000000000000' }],
            },
          ],
        },
      ],
    };
    const res = await t.http.post('/v1/traces').set(other.headers).send(theirs).expect(200);
    expect(res.body.partialSuccess).toMatchObject({ rejectedSpans: 1 });
    expect(res.body.partialSuccess.errorMessage).toMatch(/cannot be used; send a new trace id/);
    expect(res.body.partialSuccess.errorMessage).not.toMatch(/project/);
    await t.http
      .get(`/traces/${traceUuidOf(traceId)}`)
      .set(other.headers)
      .expect(404);
    expect((await getTrace(traceId)).span_count).toBe(5);
  });

  it('refuses missing or bad credentials (401), undecodable bodies (400) and other media types (415)', async () => {
    const empty = { resourceSpans: [] };
    await t.http.post('/v1/traces').send(empty).expect(401);
    await t.http
      .post('/v1/traces')
      .set({ ...tenant.headers, 'X-API-Key': `sk_pp_${'0'.repeat(64)}` })
      .send(empty)
      .expect(401);
    const garbage = await t.http
      .post('/v1/traces')
      .set(tenant.headers)
      .set('Content-Type', 'application/x-protobuf')
      .send(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]))
      .expect(400);
    expect(garbage.body.detail).toMatch(/not an OTLP ExportTraceServiceRequest/);
    await t.http
      .post('/v1/traces')
      .set(tenant.headers)
      .set('Content-Type', 'application/json')
      .send('{"resourceSpans": [')
      .expect(400);
    await t.http.post('/v1/traces').set(tenant.headers).send([1, 2]).expect(400);
    await t.http.post('/v1/traces').set(tenant.headers).set('Content-Type', 'text/plain').send('hello').expect(415);
    // An empty export is a success with nothing to say.
    const ok = await t.http
      .post('/v1/traces')
      .set(tenant.headers)
      .set('Content-Type', 'application/x-protobuf')
      .send(Buffer.alloc(0));
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toMatch(/application\/x-protobuf/);
  });
});

/** A gzip-encoded OTLP/JSON export, as exporters send it with compression on. */
const postGzip = (baseUrl: string, tenant: Tenant, body: Buffer) =>
  fetch(`${baseUrl}/v1/traces`, {
    method: 'POST',
    headers: { ...tenant.headers, 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
    body,
  });

describe('OTLP/HTTP limits', () => {
  let t: TestApp;
  let tenant: Tenant;

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_INGEST: '1', RATE_LIMIT_INGEST_BURST: '2', BODY_LIMIT_BYTES: '65536' });
    tenant = await createTenant(t);
  });
  afterAll(() => t.close());

  it('answers 413 for a body past BODY_LIMIT_BYTES, measured after gzip is inflated', async () => {
    const big = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'x'.repeat(100_000) }] }] }] });
    const zipped = gzipSync(big);
    expect(zipped.length).toBeLessThan(65536);
    const res = await postGzip(t.baseUrl, tenant, zipped);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ detail: 'Request body is larger than the configured limit.' });
  });

  it('accepts gzip within the limit, then holds a burst to the ingest rate with 429 and Retry-After', async () => {
    const traceId = '9a'.repeat(16);
    const body = JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            { spans: [{ traceId, spanId: '9b'.repeat(8), name: 'zipped', startTimeUnixNano: '1765000000000000000' }] },
          ],
        },
      ],
    });
    await new Promise((r) => setTimeout(r, 2100)); // a full bucket
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 4; i++) {
      const res = await postGzip(t.baseUrl, tenant, gzipSync(body));
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after') ?? undefined;
    }
    expect(statuses.slice(0, 2)).toEqual([200, 200]);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    const got = await t.http
      .get(`/traces/${traceUuidOf(traceId)}`)
      .set(tenant.headers)
      .expect(200);
    expect(got.body).toMatchObject({ name: 'zipped', span_count: 1 });
  });
});
