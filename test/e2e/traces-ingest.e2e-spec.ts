import { randomUUID } from 'node:crypto';
import { at, buildSpan, buildTrace, buildTraceTree } from '../factories/trace.factory';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

const HIGH_LIMITS = { RATE_LIMIT_INGEST: '100000', RATE_LIMIT_DEFAULT: '100000' };

describe('POST /traces (ingestion)', () => {
  let t: TestApp;
  let a: Tenant;
  let b: Tenant;

  beforeAll(async () => {
    t = await createTestApp(HIGH_LIMITS);
    a = await createTenant(t);
    b = await createTenant(t);
  });
  afterAll(() => t.close());

  const post = (tenant: Tenant, body: unknown) =>
    t.http
      .post('/traces')
      .set(tenant.headers)
      .send(body as object);
  const get = (tenant: Tenant, id: string) => t.http.get(`/traces/${id}`).set(tenant.headers);

  it('answers 202 {trace_id, task_id} after the trace and its spans are readable, echoing a UUID X-Request-ID', async () => {
    const trace = buildTraceTree(3, {
      session_id: 's-1',
      user_id: 'u-1',
      tags: ['t1'],
      environment: 'prod',
      release: 'v1',
    });
    const requestId = randomUUID();
    const res = await post(a, trace).set('X-Request-ID', requestId).expect(202);
    expect(res.body).toEqual({ trace_id: trace.trace_id, task_id: requestId });

    const other = await post(a, buildTrace()).expect(202);
    expect(other.body.task_id).toMatch(/^[0-9a-f-]{36}$/);

    const got = await get(a, trace.trace_id).expect(200);
    expect(got.body).toMatchObject({
      trace_id: trace.trace_id,
      project_id: a.projectId,
      name: trace.name,
      status: 'COMPLETED',
      input: trace.input,
      output: trace.output,
      metadata: {},
      started_at: '2026-01-15T12:00:00.000000+00:00',
      ended_at: '2026-01-15T12:00:01.000000+00:00',
      session_id: 's-1',
      user_id: 'u-1',
      tags: ['t1'],
      environment: 'prod',
      release: 'v1',
      latency_ms: 1000,
      span_count: 3,
      total_tokens: 30,
    });
    expect(got.body.total_cost).toBeCloseTo(0.003, 10);
    expect(got.body.spans).toHaveLength(3);
  });

  it('generates trace and span ids when absent, and defaults status, kind and span status', async () => {
    const res = await post(a, {
      name: 'no-ids',
      started_at: at(0),
      spans: [{ name: 'bare', started_at: at(1) }],
    }).expect(202);
    expect(res.body.trace_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const got = await get(a, res.body.trace_id).expect(200);
    expect(got.body.status).toBe('COMPLETED');
    expect(got.body.spans[0]).toMatchObject({
      name: 'bare',
      kind: 'OTHER',
      status: 'UNSET',
      metadata: {},
      parent_span_id: null,
      input: null,
      token_usage: null,
      cost: null,
      latency_ms: null,
      time_to_first_token_ms: null,
    });
    expect(got.body.spans[0].span_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('stores every span field and computes latency_ms and time_to_first_token_ms', async () => {
    const span = buildSpan({
      kind: 'LLM',
      status: 'ERROR',
      error: 'rate limited',
      model: 'gpt-4o',
      model_parameters: { temperature: 0.2 },
      metadata: { attempt: 2 },
      started_at: at(0),
      completion_start_time: at(250),
      ended_at: at(1500),
    });
    const trace = buildTrace({ spans: [span] });
    await post(a, trace).expect(202);
    const got = await get(a, trace.trace_id).expect(200);
    expect(got.body.spans[0]).toEqual({
      span_id: span.span_id,
      trace_id: trace.trace_id,
      parent_span_id: null,
      name: span.name,
      kind: 'LLM',
      status: 'ERROR',
      input: span.input,
      output: span.output,
      model: 'gpt-4o',
      token_usage: span.token_usage,
      metadata: { attempt: 2 },
      started_at: '2026-01-15T12:00:00.000000+00:00',
      ended_at: '2026-01-15T12:00:01.500000+00:00',
      error: 'rate limited',
      completion_start_time: '2026-01-15T12:00:00.250000+00:00',
      model_parameters: { temperature: 0.2 },
      cost: span.cost,
      latency_ms: 1500,
      time_to_first_token_ms: 250,
    });
  });

  it('accepts spans whose parent comes later in the array and returns spans ordered by started_at, span_id', async () => {
    const root = buildSpan({ kind: 'AGENT', started_at: at(0), ended_at: at(900) });
    const child = buildSpan({ kind: 'TOOL', parent_span_id: root.span_id, started_at: at(100) });
    const grandchild = buildSpan({ kind: 'LLM', parent_span_id: child.span_id, started_at: at(200) });
    const trace = buildTrace({ spans: [grandchild, child, root] });
    await post(a, trace).expect(202);
    const got = await get(a, trace.trace_id).expect(200);
    expect(got.body.spans.map((s: { span_id: string }) => s.span_id)).toEqual([
      root.span_id,
      child.span_id,
      grandchild.span_id,
    ]);
    expect(got.body.spans[1].parent_span_id).toBe(root.span_id);
    expect(got.body.spans[2].parent_span_id).toBe(child.span_id);
  });

  it('reads both timestamp dialects, treats a missing offset as UTC and converts offsets to UTC', async () => {
    const trace = buildTrace({
      started_at: '2026-11-27T02:40:32.694494+00:00',
      ended_at: '2026-11-27T04:40:44.371+02:00',
      spans: [buildSpan({ started_at: '2026-11-27T02:40:33.5', ended_at: '2026-11-27T02:40:44.371Z' })],
    });
    await post(a, trace).expect(202);
    const got = await get(a, trace.trace_id).expect(200);
    expect(got.body.started_at).toBe('2026-11-27T02:40:32.694494+00:00');
    expect(got.body.ended_at).toBe('2026-11-27T02:40:44.371000+00:00');
    expect(got.body.latency_ms).toBeCloseTo(11676.506, 3);
    expect(got.body.spans[0].started_at).toBe('2026-11-27T02:40:33.500000+00:00');
    expect(got.body.spans[0].ended_at).toBe('2026-11-27T02:40:44.371000+00:00');
  });

  it('ignores unknown keys (a newer SDK must not lose data) and stores what it knows', async () => {
    const trace = { ...buildTrace(), sdk_future_field: 1, spans: [{ ...buildSpan(), span_future_field: true }] };
    await post(a, trace).expect(202);
    const got = await get(a, trace.trace_id).expect(200);
    expect(got.body).not.toHaveProperty('sdk_future_field');
    expect(got.body.spans[0]).not.toHaveProperty('span_future_field');
  });

  describe('re-posting a trace merges into it', () => {
    it('applies the merge rules field by field, for the trace and for its spans', async () => {
      const s1 = buildSpan({
        name: 's1',
        kind: 'LLM',
        status: 'OK',
        input: { q: 1 },
        output: { a: 1 },
        model: 'model-1',
        token_usage: { prompt_tokens: 100, completion_tokens: 50 },
        cost: { total: 0.5 },
        metadata: { keep: 1, over: 'old' },
        started_at: at(10),
        ended_at: at(20),
        error: null,
        completion_start_time: at(12),
        model_parameters: { temperature: 0 },
        parent_span_id: null,
      });
      const s2 = buildSpan({
        name: 's2',
        token_usage: { prompt_tokens: 1, completion_tokens: 2 },
        cost: { total: 0.25 },
      });
      const first = buildTrace({
        name: 'first-name',
        status: 'ERROR',
        input: { in: 1 },
        output: { out: 1 },
        metadata: { a: 1, c: 3 },
        started_at: at(0),
        ended_at: at(5000),
        session_id: 'sess-1',
        user_id: 'user-1',
        tags: ['x', 'y'],
        environment: 'staging',
        release: 'r1',
        spans: [s1, s2],
      });
      await post(a, first).expect(202);

      const s3 = buildSpan({ name: 's3', token_usage: { prompt_tokens: 7, completion_tokens: 3 }, cost: { total: 1 } });
      const second = {
        trace_id: first.trace_id,
        name: 'second-name',
        // no status: reset to the default COMPLETED
        output: { out: 2 },
        metadata: { a: 9, b: 2 },
        started_at: at(1000),
        user_id: 'user-2',
        tags: ['y', 'z'],
        release: 'r2',
        input: null,
        spans: [
          {
            span_id: s1.span_id,
            name: 's1-renamed',
            kind: 'TOOL',
            status: 'ERROR',
            output: { a: 2 },
            token_usage: { prompt_tokens: 1000, completion_tokens: 1 },
            metadata: { over: 'new', extra: true },
            started_at: at(11),
            error: 'boom',
          },
          s3,
        ],
      };
      await post(a, second).expect(202);

      const got = (await get(a, first.trace_id).expect(200)).body;
      // overwritten
      expect(got.name).toBe('second-name');
      expect(got.status).toBe('COMPLETED');
      expect(got.started_at).toBe('2026-01-15T12:00:01.000000+00:00');
      // overwritten only by non-null values
      expect(got.input).toEqual({ in: 1 });
      expect(got.output).toEqual({ out: 2 });
      expect(got.ended_at).toBe('2026-01-15T12:00:05.000000+00:00');
      expect(got.session_id).toBe('sess-1');
      expect(got.user_id).toBe('user-2');
      expect(got.environment).toBe('staging');
      expect(got.release).toBe('r2');
      // merged
      expect(got.metadata).toEqual({ a: 9, b: 2, c: 3 });
      expect(got.tags).toEqual(['x', 'y', 'z']);
      expect(got.project_id).toBe(a.projectId);
      // latency follows the new started_at
      expect(got.latency_ms).toBe(4000);

      const spans = Object.fromEntries(got.spans.map((s: { name: string }) => [s.name, s]));
      expect(Object.keys(spans).sort()).toEqual(['s1-renamed', 's2', 's3']);
      expect(spans['s1-renamed']).toMatchObject({
        span_id: s1.span_id,
        kind: 'TOOL',
        status: 'ERROR',
        started_at: '2026-01-15T12:00:00.011000+00:00',
        input: { q: 1 },
        output: { a: 2 },
        model: 'model-1',
        token_usage: { prompt_tokens: 1000, completion_tokens: 1 },
        cost: { total: 0.5 },
        ended_at: '2026-01-15T12:00:00.020000+00:00',
        error: 'boom',
        completion_start_time: '2026-01-15T12:00:00.012000+00:00',
        model_parameters: { temperature: 0 },
        metadata: { keep: 1, over: 'new', extra: true },
      });
      // spans absent from the re-post are kept; aggregates cover all of them
      expect(got.span_count).toBe(3);
      expect(got.total_tokens).toBe(1001 + 3 + 10);
      expect(got.total_cost).toBeCloseTo(0.5 + 0.25 + 1, 10);
      const list = await t.http.get('/traces').query({ name: 'second-name' }).set(a.headers).expect(200);
      expect(list.body.items).toHaveLength(1);
      expect(list.body.items[0]).toMatchObject({ span_count: 3, total_tokens: 1014 });
    });

    it('merges a span id repeated inside one request as two posts in a row', async () => {
      const id = randomUUID();
      const trace = buildTrace({
        spans: [
          buildSpan({
            span_id: id,
            name: 'one',
            model: 'm1',
            metadata: { a: 1 },
            token_usage: { prompt_tokens: 1, completion_tokens: 1 },
          }),
          buildSpan({ span_id: id, name: 'two', model: null, metadata: { b: 2 }, token_usage: null }),
        ],
      });
      await post(a, trace).expect(202);
      const got = (await get(a, trace.trace_id).expect(200)).body;
      expect(got.spans).toHaveLength(1);
      expect(got.spans[0]).toMatchObject({ name: 'two', model: 'm1', metadata: { a: 1, b: 2 } });
      expect(got.total_tokens).toBe(2);
    });

    it('keeps one trace and exact aggregates when the same trace is posted concurrently', async () => {
      const traceId = randomUUID();
      const posts = Array.from({ length: 8 }, (_, i) =>
        post(a, buildTrace({ trace_id: traceId, name: `concurrent-${i}`, spans: [buildSpan(), buildSpan()] })),
      );
      const results = await Promise.all(posts);
      expect(results.map((r) => r.status)).toEqual(Array(8).fill(202));
      const got = (await get(a, traceId).expect(200)).body;
      expect(got.span_count).toBe(16);
      expect(got.spans).toHaveLength(16);
      expect(got.total_tokens).toBe(16 * 15);
      const [{ count }] = await t.dataSource.query('SELECT count(*)::int AS count FROM traces WHERE trace_id = $1', [
        traceId,
      ]);
      expect(count).toBe(1);
    });
  });

  describe('ids owned by another project', () => {
    it('answers 409 for a trace id of another project and changes nothing', async () => {
      const trace = buildTraceTree(2, { name: 'owned-by-a', tags: ['a'] });
      await post(a, trace).expect(202);
      const before = (await get(a, trace.trace_id).expect(200)).body;

      const res = await post(b, { ...trace, name: 'stolen', tags: ['b'], spans: [buildSpan()] }).expect(409);
      expect(res.body).toEqual({ detail: `Trace id ${trace.trace_id} cannot be used; send a new trace id.` });
      expect((await get(a, trace.trace_id).expect(200)).body).toEqual(before);
      await get(b, trace.trace_id).expect(404);
    });

    it('exactly one of two projects racing for a new trace id wins; the other gets 409', async () => {
      const traceId = randomUUID();
      const [ra, rb] = await Promise.all([
        post(a, buildTrace({ trace_id: traceId, name: 'race-a' })),
        post(b, buildTrace({ trace_id: traceId, name: 'race-b' })),
      ]);
      expect([ra.status, rb.status].sort()).toEqual([202, 409]);
      const winner = ra.status === 202 ? a : b;
      const loser = ra.status === 202 ? b : a;
      expect((await get(winner, traceId).expect(200)).body.name).toBe(ra.status === 202 ? 'race-a' : 'race-b');
      await get(loser, traceId).expect(404);
    });

    it("scopes span ids to their trace: reusing another project's span id never touches that span", async () => {
      const span = buildSpan({ name: 'a-span', output: { secret: 'a' } });
      const traceA = buildTrace({ spans: [span] });
      await post(a, traceA).expect(202);

      const traceB = buildTrace({ spans: [{ ...span, name: 'b-span', output: { mine: 'b' } }] });
      await post(b, traceB).expect(202);

      const gotA = (await get(a, traceA.trace_id).expect(200)).body;
      expect(gotA.spans[0]).toMatchObject({ span_id: span.span_id, name: 'a-span', output: { secret: 'a' } });
      const gotB = (await get(b, traceB.trace_id).expect(200)).body;
      expect(gotB.spans[0]).toMatchObject({ span_id: span.span_id, name: 'b-span', output: { mine: 'b' } });

      // and spans cannot be pushed into another project's trace
      await t.http.post(`/traces/${traceA.trace_id}/spans`).set(b.headers).send([buildSpan()]).expect(404);
      expect((await get(a, traceA.trace_id).expect(200)).body.span_count).toBe(1);
    });
  });

  describe('validation (422, nothing stored)', () => {
    const long = (n: number) => 'x'.repeat(n);
    const cases: Array<[string, (tr: Record<string, unknown>) => unknown, string]> = [
      ['a missing name', ({ name: _, ...rest }) => rest, 'name'],
      ['an empty name', (tr) => ({ ...tr, name: '' }), 'name'],
      ['a name over 512 characters', (tr) => ({ ...tr, name: long(513) }), 'name'],
      ['a missing started_at', ({ started_at: _, ...rest }) => rest, 'started_at'],
      ['an unknown trace status', (tr) => ({ ...tr, status: 'DONE' }), 'status'],
      ['a lowercase trace status', (tr) => ({ ...tr, status: 'completed' }), 'status'],
      ['a session_id of 256 characters', (tr) => ({ ...tr, session_id: long(256) }), 'session_id'],
      ['a user_id of 256 characters', (tr) => ({ ...tr, user_id: long(256) }), 'user_id'],
      ['an environment of 256 characters', (tr) => ({ ...tr, environment: long(256) }), 'environment'],
      ['a release of 256 characters', (tr) => ({ ...tr, release: long(256) }), 'release'],
      ['a trace_id that is not a UUID', (tr) => ({ ...tr, trace_id: 'not-a-uuid' }), 'trace_id'],
      ['tags that are not strings', (tr) => ({ ...tr, tags: [1, 2] }), 'tags'],
      ['metadata that is not an object', (tr) => ({ ...tr, metadata: ['a'] }), 'metadata'],
      ['an invalid started_at', (tr) => ({ ...tr, started_at: 'yesterday' }), 'started_at'],
      ['an impossible date', (tr) => ({ ...tr, started_at: '2026-02-30T10:00:00Z' }), 'started_at'],
      ['a numeric timestamp', (tr) => ({ ...tr, ended_at: 1767225600 }), 'ended_at'],
      ['a span with an unknown kind', (tr) => ({ ...tr, spans: [buildSpan({ kind: 'ROBOT' })] }), 'spans -> 0 -> kind'],
      [
        'a span with an unknown status',
        (tr) => ({ ...tr, spans: [buildSpan({ status: 'FINE' })] }),
        'spans -> 0 -> status',
      ],
      ['a span without a name', (tr) => ({ ...tr, spans: [buildSpan({ name: '' })] }), 'spans -> 0 -> name'],
      [
        'a span model of 256 characters',
        (tr) => ({ ...tr, spans: [buildSpan({ model: long(256) })] }),
        'spans -> 0 -> model',
      ],
      [
        'a non-numeric cost',
        (tr) => ({ ...tr, spans: [buildSpan({ cost: { total: 'cheap' } })] }),
        'spans -> 0 -> cost',
      ],
      [
        'token_usage that is not an object',
        (tr) => ({ ...tr, spans: [buildSpan({ token_usage: 12 })] }),
        'spans -> 0 -> token_usage',
      ],
      [
        'a span with a bad timestamp',
        (tr) => ({ ...tr, spans: [buildSpan({ ended_at: '2026-13-01T00:00:00Z' })] }),
        'spans -> 0 -> ended_at',
      ],
      [
        'a span with a bad completion_start_time',
        (tr) => ({ ...tr, spans: [buildSpan({ completion_start_time: 'soon' })] }),
        'spans -> 0 -> completion_start_time',
      ],
      [
        'a span_id that is not a UUID',
        (tr) => ({ ...tr, spans: [buildSpan({ span_id: '123' })] }),
        'spans -> 0 -> span_id',
      ],
      ['spans that are not an array', (tr) => ({ ...tr, spans: { a: 1 } }), 'spans'],
      ['501 spans', (tr) => ({ ...tr, spans: Array.from({ length: 501 }, () => buildSpan()) }), 'spans'],
    ];

    it.each(cases)('rejects %s', async (_label, mutate, field) => {
      const trace = buildTrace();
      const res = await post(a, mutate(trace)).expect(422);
      expect(res.body.detail).toBe('Validation error');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      await get(a, trace.trace_id).expect(404);
    });

    it('accepts exactly 500 spans and the longest allowed values', async () => {
      const trace = buildTrace({
        name: long(512),
        session_id: long(255),
        spans: Array.from({ length: 500 }, () => buildSpan()),
      });
      await post(a, trace).expect(202);
      const got = (await get(a, trace.trace_id).expect(200)).body;
      expect(got.span_count).toBe(500);
      expect(got.total_tokens).toBe(500 * 15);
    });

    it('rejects a body that is not a JSON object, and malformed JSON', async () => {
      await post(a, [buildTrace()]).expect(422);
      const res = await t.http
        .post('/traces')
        .set(a.headers)
        .set('Content-Type', 'application/json')
        .send('{"name":')
        .expect(422);
      expect(res.body.detail).toBe('Validation error');
    });

    it('requires credentials', async () => {
      await t.http.post('/traces').send(buildTrace()).expect(401);
    });
  });

  describe('body size', () => {
    let small: TestApp;
    beforeAll(async () => {
      small = await createTestApp({ ...HIGH_LIMITS, BODY_LIMIT_BYTES: '4096' });
    });
    afterAll(() => small.close());

    it('answers 413 {"detail"} for a body over the configured limit', async () => {
      const tenant = await createTenant(small);
      const trace = buildTrace({ input: { text: 'x'.repeat(5000) } });
      const res = await small.http.post('/traces').set(tenant.headers).send(trace).expect(413);
      expect(res.body).toEqual({ detail: expect.any(String) });
      await small.http.get(`/traces/${trace.trace_id}`).set(tenant.headers).expect(404);
      await small.http.post('/traces').set(tenant.headers).send(buildTrace()).expect(202);
    });
  });
});
