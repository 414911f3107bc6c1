import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { flush, init, score, shutdown, withSpan, withTrace } from 'pandaprobe';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

/** The real npm SDK (pandaprobe 0.4.2) talking to the app over a real socket. */
describe('pandaprobe TypeScript SDK as a client', () => {
  let t: TestApp;
  let tenant: Tenant;

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_INGEST: '100000', RATE_LIMIT_DEFAULT: '100000' });
    tenant = await createTenant(t);
  });
  afterAll(async () => {
    await shutdown();
    await t.close();
  });

  const useSdk = (endpoint: string) =>
    init({
      apiKey: tenant.apiKey,
      projectName: tenant.projectName,
      endpoint,
      environment: 'staging',
      release: 'v1.2.3',
      flushInterval: 3600,
      batchSize: 1000,
    });

  it('sends traces with nested spans, an error span, session, user and tags that read back field by field', async () => {
    useSdk(t.baseUrl);
    const ids: Record<string, string> = {};
    let traceId = '';
    const before = Date.now();

    await withTrace(
      'support-agent',
      {
        input: { messages: [{ role: 'user', content: 'Where is my order?' }] },
        sessionId: 'sess-sdk',
        userId: 'user-sdk',
        tags: ['sdk', 'e2e'],
        metadata: { channel: 'chat' },
      },
      async (ctx) => {
        traceId = ctx.traceId;
        await withSpan('plan', { kind: 'AGENT', metadata: { step: 1 } }, async (agent) => {
          ids.agent = agent.spanId;
          agent.setInput({ goal: 'find the order' });
          await withSpan('lookup-order', { kind: 'TOOL' }, async (tool) => {
            ids.tool = tool.spanId;
            tool.setInput({ order_id: 42 });
            tool.setOutput({ status: 'shipped' });
          });
          await withSpan('answer', { kind: 'LLM', model: 'gpt-4o-mini' }, async (llm) => {
            ids.llm = llm.spanId;
            llm.setInput({ messages: [{ role: 'user', content: 'Where is my order?' }] });
            llm.setModelParameters({ temperature: 0.2 });
            llm.setCompletionStartTime(new Date());
            llm.setTokenUsage({ promptTokens: 120, completionTokens: 30, totalTokens: 150 });
            llm.setCost({ total: 0.0021, input: 0.0018, output: 0.0003 });
            llm.setOutput({ messages: [{ role: 'assistant', content: 'It shipped yesterday.' }] });
          });
          await withSpan('flaky-tool', { kind: 'TOOL' }, async (bad) => {
            ids.bad = bad.spanId;
            throw new Error('tool exploded');
          }).catch(() => undefined);
        });
        ctx.setOutput({ messages: [{ role: 'assistant', content: 'It shipped yesterday.' }] });
      },
    );
    score(traceId, 'helpfulness', '0.9', { dataType: 'NUMERIC', reason: 'answered the question' });

    let failedId = '';
    await withTrace('failing-agent', { sessionId: 'sess-sdk' }, async (ctx) => {
      failedId = ctx.traceId;
      throw new Error('agent crashed');
    }).catch(() => undefined);

    await flush();
    const after = Date.now();

    const res = await t.http.get(`/traces/${traceId}`).set(tenant.headers).expect(200);
    const trace = res.body;
    expect(trace).toMatchObject({
      trace_id: traceId,
      project_id: tenant.projectId,
      name: 'support-agent',
      status: 'COMPLETED',
      input: { messages: [{ role: 'user', content: 'Where is my order?' }] },
      output: { messages: [{ role: 'assistant', content: 'It shipped yesterday.' }] },
      session_id: 'sess-sdk',
      user_id: 'user-sdk',
      tags: ['sdk', 'e2e'],
      environment: 'staging',
      release: 'v1.2.3',
      span_count: 4,
      total_tokens: 150,
    });
    expect(trace.metadata).toMatchObject({ channel: 'chat' });
    expect(trace.total_cost).toBeCloseTo(0.0021, 10);
    const started = Date.parse(trace.started_at);
    expect(started).toBeGreaterThanOrEqual(before);
    expect(Date.parse(trace.ended_at)).toBeLessThanOrEqual(after);
    expect(trace.latency_ms).toBeGreaterThanOrEqual(0);

    const spans = Object.fromEntries(trace.spans.map((s: { span_id: string }) => [s.span_id, s]));
    expect(Object.keys(spans).sort()).toEqual(Object.values(ids).sort());
    expect(spans[ids.agent]).toMatchObject({
      name: 'plan',
      kind: 'AGENT',
      status: 'OK',
      parent_span_id: null,
      input: { goal: 'find the order' },
      metadata: { step: 1 },
    });
    expect(spans[ids.tool]).toMatchObject({
      name: 'lookup-order',
      kind: 'TOOL',
      status: 'OK',
      parent_span_id: ids.agent,
      input: { order_id: 42 },
      output: { status: 'shipped' },
    });
    expect(spans[ids.llm]).toMatchObject({
      name: 'answer',
      kind: 'LLM',
      status: 'OK',
      parent_span_id: ids.agent,
      model: 'gpt-4o-mini',
      model_parameters: { temperature: 0.2 },
      token_usage: { prompt_tokens: 120, completion_tokens: 30, totalTokens: 150 },
      cost: { total: 0.0021, input: 0.0018, output: 0.0003 },
      output: { messages: [{ role: 'assistant', content: 'It shipped yesterday.' }] },
    });
    expect(spans[ids.llm].completion_start_time).toEqual(expect.stringMatching(/\.\d{6}\+00:00$/));
    expect(spans[ids.llm].time_to_first_token_ms).toBeGreaterThanOrEqual(0);
    expect(spans[ids.bad]).toMatchObject({
      name: 'flaky-tool',
      kind: 'TOOL',
      status: 'ERROR',
      error: 'tool exploded',
      parent_span_id: ids.agent,
    });
    for (const span of trace.spans) {
      expect(span.trace_id).toBe(traceId);
      expect(span.latency_ms).toBeGreaterThanOrEqual(0);
    }
    // spans come back in start order
    const starts = trace.spans.map((s: { started_at: string }) => s.started_at);
    expect([...starts].sort()).toEqual(starts);

    const failed = await t.http.get(`/traces/${failedId}`).set(tenant.headers).expect(200);
    expect(failed.body).toMatchObject({ name: 'failing-agent', status: 'ERROR', output: null, session_id: 'sess-sdk' });
    const errors = await t.http
      .get('/traces')
      .query({ status: 'ERROR', session_id: 'sess-sdk' })
      .set(tenant.headers)
      .expect(200);
    expect(errors.body.items.map((i: { trace_id: string }) => i.trace_id)).toEqual([failedId]);

    // score() posts to /evaluations/trace-scores (scores module); the value is a string on the wire.
    const scores = await t.http.get(`/evaluations/trace-scores/${traceId}`).set(tenant.headers).expect(200);
    const list = Array.isArray(scores.body) ? scores.body : scores.body.items;
    expect(list).toEqual(expect.arrayContaining([expect.objectContaining({ trace_id: traceId, name: 'helpfulness' })]));
    const helpfulness = list.find((s: { name: string }) => s.name === 'helpfulness');
    expect(typeof helpfulness.value).toBe('string');
    expect(parseFloat(helpfulness.value)).toBeCloseTo(0.9);
  });

  describe('retry after a lost answer', () => {
    let proxy: Server;
    let proxyUrl: string;
    const seen: Array<{ requestId: string; traceId: string; answered: number }> = [];

    const readBody = (req: IncomingMessage) =>
      new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => resolve(Buffer.concat(chunks)));
        req.on('error', reject);
      });

    beforeAll(async () => {
      // Forwards everything to the app; the FIRST POST /traces is processed by the app but answered
      // 503 to the client, as if the answer were lost. The SDK must retry with the same ids.
      proxy = createServer(async (req, res) => {
        const body = await readBody(req);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) {
          if (typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k)) headers[k] = v;
        }
        const upstream = await fetch(`${t.baseUrl}${req.url}`, {
          method: req.method,
          headers,
          body: body.length > 0 ? body : undefined,
        });
        const text = await upstream.text();
        if (req.method === 'POST' && req.url === '/traces') {
          const firstPost = seen.length === 0;
          const answered = firstPost ? 503 : upstream.status;
          seen.push({
            requestId: String(req.headers['x-request-id']),
            traceId: JSON.parse(body.toString()).trace_id,
            answered,
          });
          if (firstPost) {
            res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '0' });
            res.end(JSON.stringify({ detail: 'injected' }));
            return;
          }
        }
        res.writeHead(upstream.status, { 'Content-Type': upstream.headers.get('content-type') ?? 'application/json' });
        res.end(text);
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

    it('re-posts the same trace after a 503 and the service keeps exactly one trace with its spans once', async () => {
      useSdk(proxyUrl);
      let traceId = '';
      await withTrace('retried-agent', { tags: ['retry'] }, async (ctx) => {
        traceId = ctx.traceId;
        await withSpan('step-1', { kind: 'TOOL' }, async () => undefined);
        await withSpan('step-2', { kind: 'LLM', model: 'm' }, async (s) => {
          s.setTokenUsage({ promptTokens: 5, completionTokens: 5 });
        });
      });
      await flush();

      expect(seen).toHaveLength(2);
      expect(seen[0]).toMatchObject({ traceId, answered: 503 });
      expect(seen[1]).toMatchObject({ traceId, answered: 202, requestId: seen[0].requestId });

      const got = await t.http.get(`/traces/${traceId}`).set(tenant.headers).expect(200);
      expect(got.body).toMatchObject({ name: 'retried-agent', span_count: 2, total_tokens: 10, tags: ['retry'] });
      expect(got.body.spans).toHaveLength(2);
      const [{ count }] = await t.dataSource.query(
        `SELECT count(*)::int AS count FROM traces WHERE project_id = $1 AND name = 'retried-agent'`,
        [tenant.projectId],
      );
      expect(count).toBe(1);
    });
  });
});
