import { randomUUID } from 'node:crypto';
import { flush, init, shutdown, withTrace } from 'pandaprobe';
import { buildSessionTraces, ingestSession } from '../factories/session.factory';
import { at, ingestTrace, TracePayload } from '../factories/trace.factory';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

/** A factory offset as the API writes timestamps (UTC, microseconds). */
const iso = (offsetMs: number) => at(offsetMs).replace('Z', '000+00:00');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Tenant A's sessions (offsets from the factories' base instant, 2026-01-15T12:00:00Z):
 * - alpha: three traces, written out of order; one ERROR, one unfinished, two users, tags a b c.
 * - beta: one trace of u3, tagged c.
 * - gamma: two traces a day later; its id holds LIKE wildcards.
 * Tenant B has an `alpha` of its own (which must never mix into A's) and a session only it has.
 */
const ALPHA = 'sess-alpha';
const BETA = 'sess-beta';
const GAMMA = 'Gamma_%-session';
const ONLY_B = 'sess-only-b';

describe('sessions API', () => {
  let t: TestApp;
  let a: Tenant;
  let b: Tenant;
  let alpha: TracePayload[];

  const get = (path: string, tenant: Tenant = a) => t.http.get(path).set(tenant.headers);
  const ids = (body: { items: Array<{ session_id: string }> }) => body.items.map((s) => s.session_id);

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_DEFAULT: '1000000', RATE_LIMIT_INGEST: '1000000' });
    a = await createTenant(t);
    b = await createTenant(t);
    alpha = await ingestSession(t, a, ALPHA, [
      { offsetMs: 0, durationMs: 1000, userId: 'u1', tags: ['a', 'b'], spans: 3 },
      { offsetMs: 5000, durationMs: 4000, userId: 'u2', tags: ['b', 'c'], status: 'ERROR', spans: 2 },
      { offsetMs: 2000, durationMs: null, tags: [], spans: 1, status: 'RUNNING' },
    ]);
    await ingestSession(t, a, BETA, [{ offsetMs: 60_000, durationMs: 1500, userId: 'u3', tags: ['c'], spans: 2 }]);
    await ingestSession(t, a, GAMMA, [
      { offsetMs: DAY, durationMs: 500, spans: 4 },
      { offsetMs: DAY + 10_000, durationMs: 30_000, spans: 4 },
    ]);
    await ingestTrace(t, a, { started_at: at(90_000), ended_at: at(91_000) }); // no session: never listed
    await ingestSession(t, b, ALPHA, [
      { offsetMs: 100_000, durationMs: 1000, userId: 'u1', tags: ['a'], status: 'ERROR', spans: 3 },
    ]);
    await ingestSession(t, b, ONLY_B, [{ offsetMs: 0, userId: 'u-b' }]);
  }, 60_000);

  afterAll(async () => {
    await shutdown();
    await t.close();
  });

  /** alpha's aggregates, computed by hand from the specs above. */
  const ALPHA_SUMMARY = {
    session_id: ALPHA,
    trace_count: 3,
    first_trace_at: iso(0),
    last_trace_at: iso(9000), // the latest end (5000 + 4000), not the latest start
    total_latency_ms: 5000, // each trace's own latency, summed: 1000 + 4000; the unfinished trace adds nothing
    has_error: true,
    user_id: 'u1', // the earliest trace naming a user
    user_ids: ['u1', 'u2'],
    tags: ['a', 'b', 'c'],
    total_span_count: 6,
    total_tokens: 45, // (3−1) + (2−1) + (1−1) child spans of 15 tokens
  };

  describe('GET /sessions', () => {
    it('lists the project’s sessions with their aggregates, most recent first', async () => {
      const res = await get('/sessions').expect(200);
      expect(res.body).toMatchObject({ total: 3, limit: 50, offset: 0 });
      expect(ids(res.body)).toEqual([GAMMA, BETA, ALPHA]);
      const [gamma, beta, alphaRow] = res.body.items;
      expect(alphaRow).toMatchObject(ALPHA_SUMMARY);
      expect(alphaRow.total_cost).toBeCloseTo(0.0045, 12);
      expect(beta).toMatchObject({
        session_id: BETA,
        trace_count: 1,
        first_trace_at: iso(60_000),
        last_trace_at: iso(61_500),
        total_latency_ms: 1500,
        has_error: false,
        user_id: 'u3',
        user_ids: ['u3'],
        tags: ['c'],
        total_span_count: 2,
        total_tokens: 15,
      });
      expect(gamma).toMatchObject({
        trace_count: 2,
        first_trace_at: iso(DAY),
        last_trace_at: iso(DAY + 40_000),
        total_latency_ms: 30_500, // 500 + 30,000: the 9.5 s between the two traces is not latency
        has_error: false,
        user_id: null,
        user_ids: [],
        tags: [],
        total_span_count: 8,
        total_tokens: 90,
      });
      expect(gamma.total_cost).toBeCloseTo(0.009, 12);
    });

    it.each([
      ['trace_count', 'asc', [BETA, GAMMA, ALPHA]],
      ['trace_count', 'desc', [ALPHA, GAMMA, BETA]],
      ['latency', 'desc', [GAMMA, ALPHA, BETA]],
      ['latency', 'asc', [BETA, ALPHA, GAMMA]],
      ['cost', 'desc', [GAMMA, ALPHA, BETA]],
      ['recent', 'asc', [ALPHA, BETA, GAMMA]],
    ])('sorts by %s %s', async (sortBy, order, expected) => {
      const res = await get(`/sessions?sort_by=${sortBy}&sort_order=${order}`).expect(200);
      expect(ids(res.body)).toEqual(expected);
    });

    it('latency is the traces’ own time, not the idle time between turns: sort and analytics follow (hand-computed)', async () => {
      const tenant = await createTenant(t);
      // Two quick turns six minutes apart (20 ms + 21 ms), and one slow single turn (1 s) later the same hour.
      await ingestSession(t, tenant, 'chatty', [
        { offsetMs: 0, durationMs: 20 },
        { offsetMs: 360_000, durationMs: 21 },
        { offsetMs: 370_000, durationMs: null, status: 'RUNNING' },
      ]);
      await ingestSession(t, tenant, 'slow', [{ offsetMs: 1_000, durationMs: 1_000 }]);
      await ingestSession(t, tenant, 'open', [{ offsetMs: 2_000, durationMs: null, status: 'RUNNING' }]);
      const listed = (await get('/sessions?sort_by=latency&sort_order=desc', tenant).expect(200)).body;
      expect(ids(listed)).toEqual(['slow', 'chatty', 'open']);
      expect(listed.items.map((s: { total_latency_ms: number | null }) => s.total_latency_ms)).toEqual([
        1000,
        41,
        null,
      ]);
      const chatty = (await get('/sessions/chatty', tenant).expect(200)).body;
      expect(chatty).toMatchObject({ first_trace_at: iso(0), last_trace_at: iso(360_021), total_latency_ms: 41 });
      const open = (await get('/sessions/open', tenant).expect(200)).body;
      expect(open).toMatchObject({ last_trace_at: null, total_latency_ms: null });
      const window = `started_after=${encodeURIComponent(at(-1))}&started_before=${encodeURIComponent(at(HOUR - 1))}`;
      const analytics = (await get(`/sessions/analytics?granularity=day&${window}`, tenant).expect(200)).body;
      // (41 + 1000) / 2: the open session, whose total is null, is left out of the mean as avg() does.
      expect(analytics).toEqual([
        expect.objectContaining({ session_count: 3, avg_traces_per_session: 5 / 3, avg_session_duration_ms: 520.5 }),
      ]);
    });

    it('breaks ties by session id, in the direction asked', async () => {
      const tenant = await createTenant(t);
      for (const id of ['tie-b', 'tie-c', 'tie-a']) await ingestSession(t, tenant, id, [{ offsetMs: 0 }]);
      expect(ids((await get('/sessions?sort_by=trace_count&sort_order=asc', tenant).expect(200)).body)).toEqual([
        'tie-a',
        'tie-b',
        'tie-c',
      ]);
      expect(ids((await get('/sessions?sort_by=trace_count&sort_order=desc', tenant).expect(200)).body)).toEqual([
        'tie-c',
        'tie-b',
        'tie-a',
      ]);
    });

    it('pages with limit and offset, the total counting every matching session', async () => {
      const page = await get('/sessions?limit=1&offset=1').expect(200);
      expect(page.body).toMatchObject({ total: 3, limit: 1, offset: 1 });
      expect(ids(page.body)).toEqual([BETA]);
      const past = await get('/sessions?limit=2&offset=10').expect(200);
      expect(past.body).toEqual({ items: [], total: 3, limit: 2, offset: 10 });
      const empty = await get('/sessions', await createTenant(t)).expect(200);
      expect(empty.body).toEqual({ items: [], total: 0, limit: 50, offset: 0 });
    });

    it.each([
      ['user_id=u2', [ALPHA]],
      ['user_id=nobody', []],
      ['has_error=true', [ALPHA]],
      ['has_error=false', [GAMMA, BETA]],
      ['has_error=1', [ALPHA]],
      ['has_error=no', [GAMMA, BETA]],
      ['tags=a', [ALPHA]],
      ['tags=c&tags=zzz', [BETA, ALPHA]],
      [`started_after=${encodeURIComponent(at(1000))}`, [GAMMA, BETA]], // alpha started before, though its later traces are after
      [`started_before=${encodeURIComponent(at(60_000))}`, [ALPHA]], // exclusive: beta starts exactly then
      [`started_after=${encodeURIComponent(at(0))}&started_before=${encodeURIComponent(at(60_001))}`, [BETA, ALPHA]],
      ['query=ALPHA', [ALPHA]],
      ['query=sess-', [BETA, ALPHA]],
      ['query=_%25', [GAMMA]], // wildcards are literal: only gamma's id contains "_%"
      ['query=a_p', []],
      ['user_id=u1&has_error=true&tags=b', [ALPHA]],
    ])('filters whole sessions: %s', async (query, expected) => {
      const res = await get(`/sessions?${query}`).expect(200);
      expect(ids(res.body)).toEqual(expected);
      expect(res.body.total).toBe(expected.length);
    });

    it('keeps the aggregates of a filtered session whole (PandaProbe narrowed them to the matching traces)', async () => {
      const res = await get('/sessions?user_id=u2&tags=c').expect(200);
      expect(res.body.items).toHaveLength(1);
      expect(res.body.items[0]).toMatchObject(ALPHA_SUMMARY);
    });

    it.each([
      ['sort_by=name', 'sort_by'],
      ['sort_order=up', 'sort_order'],
      ['has_error=maybe', 'has_error'],
      ['started_after=yesterday', 'started_after'],
      ['started_before=2026-13-01', 'started_before'],
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=ten', 'limit'],
      ['offset=-1', 'offset'],
      [`query=${'q'.repeat(256)}`, 'query'],
      [`user_id=${'u'.repeat(256)}`, 'user_id'],
    ])('refuses %s with a 422 naming the field', async (query, field) => {
      const res = await get(`/sessions?${query}`).expect(422);
      expect(res.body.detail).toBe('Validation error');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    it('never shows another project’s sessions or traces', async () => {
      const listed = await get('/sessions?limit=200').expect(200);
      expect(ids(listed.body)).not.toContain(ONLY_B);
      // B's own alpha: one ERROR trace of its own, not mixed with A's three.
      const bAlpha = await get('/sessions?query=alpha', b).expect(200);
      expect(bAlpha.body.items).toEqual([expect.objectContaining({ session_id: ALPHA, trace_count: 1, tags: ['a'] })]);
      expect(listed.body.items.find((s: { session_id: string }) => s.session_id === ALPHA)).toMatchObject(
        ALPHA_SUMMARY,
      );
    });

    it('requires credentials', async () => {
      await t.http.get('/sessions').expect(401);
    });
  });

  describe('GET /sessions/{session_id}', () => {
    it('returns the aggregates and the traces with their spans, oldest first', async () => {
      const res = await get(`/sessions/${ALPHA}`).expect(200);
      expect(res.body).toMatchObject(ALPHA_SUMMARY);
      expect(res.body.total_cost).toBeCloseTo(0.0045, 12);
      // Written in the order 0, 5000, 2000: read back by started_at.
      expect(res.body.traces.map((tr: { trace_id: string }) => tr.trace_id)).toEqual([
        alpha[0].trace_id,
        alpha[2].trace_id,
        alpha[1].trace_id,
      ]);
      const first = res.body.traces[0];
      expect(first).toMatchObject({ session_id: ALPHA, user_id: 'u1', span_count: 3, total_tokens: 30 });
      // The root was sent after its children; every span is there, children pointing at it.
      const root = alpha[0].spans!.find((s) => s.kind === 'AGENT')!;
      expect(first.spans).toHaveLength(3);
      expect(first.spans.filter((s: { parent_span_id: string }) => s.parent_span_id === root.span_id)).toHaveLength(2);
      expect(first.spans.find((s: { span_id: string }) => s.span_id === root.span_id)).toMatchObject({
        kind: 'AGENT',
        parent_span_id: null,
      });
    });

    it('pages the traces while the aggregates still cover the whole session', async () => {
      const res = await get(`/sessions/${ALPHA}?limit=2&offset=1`).expect(200);
      expect(res.body).toMatchObject(ALPHA_SUMMARY);
      expect(res.body.traces.map((tr: { trace_id: string }) => tr.trace_id)).toEqual([
        alpha[2].trace_id,
        alpha[1].trace_id,
      ]);
      const past = await get(`/sessions/${ALPHA}?offset=3`).expect(200);
      expect(past.body).toMatchObject({ ...ALPHA_SUMMARY, traces: [] });
    });

    it('reads ids with characters that need encoding', async () => {
      const res = await get(`/sessions/${encodeURIComponent(GAMMA)}`).expect(200);
      expect(res.body).toMatchObject({ session_id: GAMMA, trace_count: 2 });
    });

    it('answers 404 for an unknown session and for another project’s session', async () => {
      const unknown = await get('/sessions/no-such-session').expect(404);
      expect(unknown.body).toEqual({ detail: 'Session no-such-session not found.' });
      await get(`/sessions/${ONLY_B}`).expect(404);
      const own = await get(`/sessions/${ONLY_B}`, b).expect(200);
      expect(own.body).toMatchObject({ trace_count: 1, user_id: 'u-b' });
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['offset=-1', 'offset'],
    ])('refuses %s with a 422', async (query, field) => {
      const res = await get(`/sessions/${ALPHA}?${query}`).expect(422);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    it('refuses a session id longer than ingestion accepts with a 422', async () => {
      const res = await get(`/sessions/${'s'.repeat(256)}`).expect(422);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('session_id');
    });

    it('refuses a page larger than MAX_RESPONSE_BYTES with a 413, before reading it', async () => {
      const small = await createTestApp({ MAX_RESPONSE_BYTES: '2000', RATE_LIMIT_DEFAULT: '1000000' });
      try {
        const tenant = await createTenant(small);
        // Each trace carries about 1,200 bytes of JSON: one fits in 2,000, three do not.
        for (const trace of buildSessionTraces('big', [{ offsetMs: 0 }, { offsetMs: 1 }, { offsetMs: 2 }])) {
          await small.http
            .post('/traces')
            .set(tenant.headers)
            .send({ ...trace, input: { text: 'x'.repeat(600) } })
            .expect(202);
        }
        const res = await small.http.get('/sessions/big').set(tenant.headers).expect(413);
        expect(res.body.detail).toMatch(/MAX_RESPONSE_BYTES=2000.*limit/);
        await small.http.get('/sessions/big?limit=1').set(tenant.headers).expect(200);
      } finally {
        await small.close();
      }
    });
  });

  // Own tenants: the sessions created here must not change the fixtures the other blocks count.
  describe('DELETE /sessions/{session_id}', () => {
    let owner: Tenant;
    let other: Tenant;
    beforeAll(async () => {
      owner = await createTenant(t);
      other = await createTenant(t);
    });

    it('deletes every trace of the session with its spans and keeps its session scores', async () => {
      const doomed = `doomed-${randomUUID()}`;
      const traces = await ingestSession(t, owner, doomed, [{ offsetMs: 0 }, { offsetMs: 10 }]);
      const keep = await ingestSession(t, owner, `kept-${randomUUID()}`, [{ offsetMs: 0 }]);
      await t.dataSource.query(
        `INSERT INTO session_scores (session_id, project_id, name, value, source) VALUES ($1, $2, 'agent_reliability', '0.8', 'ANNOTATION')`,
        [doomed, owner.projectId],
      );

      const res = await t.http.delete(`/sessions/${doomed}`).set(owner.headers).expect(200);
      expect(res.body).toEqual({ deleted: 2 });

      await get(`/sessions/${doomed}`, owner).expect(404);
      for (const trace of traces) await get(`/traces/${trace.trace_id}`, owner).expect(404);
      const spans = await t.dataSource.query(`SELECT count(*)::int AS n FROM spans WHERE trace_id = ANY($1::uuid[])`, [
        traces.map((tr) => tr.trace_id),
      ]);
      expect(spans[0].n).toBe(0);
      await get(`/traces/${keep[0].trace_id}`, owner).expect(200);
      const scores = await t.dataSource.query(
        `SELECT name FROM session_scores WHERE project_id = $1 AND session_id = $2`,
        [owner.projectId, doomed],
      );
      expect(scores).toEqual([{ name: 'agent_reliability' }]);

      const again = await t.http.delete(`/sessions/${doomed}`).set(owner.headers).expect(404);
      expect(again.body).toEqual({ detail: `Session ${doomed} not found.` });
    });

    it('cannot delete another project’s session, even one sharing an id', async () => {
      const shared = `shared-${randomUUID()}`;
      await ingestSession(t, other, shared, [{ offsetMs: 0 }]);
      await t.http.delete(`/sessions/${shared}`).set(owner.headers).expect(404);
      await get(`/sessions/${shared}`, other).expect(200);

      await ingestSession(t, owner, shared, [{ offsetMs: 0 }, { offsetMs: 1 }]);
      expect((await t.http.delete(`/sessions/${shared}`).set(owner.headers).expect(200)).body).toEqual({ deleted: 2 });
      expect((await get(`/sessions/${shared}`, other).expect(200)).body.trace_count).toBe(1);
    });

    it('refuses a session id longer than ingestion accepts with a 422', async () => {
      await t.http
        .delete(`/sessions/${'s'.repeat(256)}`)
        .set(owner.headers)
        .expect(422);
    });
  });

  describe('GET /sessions/analytics', () => {
    const window = (from: number, to: number) =>
      `started_after=${encodeURIComponent(at(from))}&started_before=${encodeURIComponent(at(to))}`;

    it('counts sessions by the day of their first trace, with their mean size and duration', async () => {
      // Days starting at UTC midnight: the base instant is noon of 2026-01-15.
      const res = await get(`/sessions/analytics?granularity=day&${window(-12 * HOUR, 2 * DAY + 12 * HOUR)}`).expect(
        200,
      );
      expect(res.body).toEqual([
        {
          bucket: '2026-01-15T00:00:00.000000+00:00',
          session_count: 2, // alpha and beta
          avg_traces_per_session: 2, // (3 + 1) / 2
          avg_session_duration_ms: 3250, // (5000 + 1500) / 2
        },
        {
          bucket: '2026-01-16T00:00:00.000000+00:00',
          session_count: 1,
          avg_traces_per_session: 2,
          avg_session_duration_ms: 30_500,
        },
        {
          bucket: '2026-01-17T00:00:00.000000+00:00',
          session_count: 0,
          avg_traces_per_session: null,
          avg_session_duration_ms: null,
        },
      ]);
    });

    it('places a session by its first trace: one that started before the window is not counted', async () => {
      // alpha has traces in this window, but its first one is at offset 0.
      const res = await get(`/sessions/analytics?granularity=hour&${window(1, HOUR)}`).expect(200);
      expect(res.body).toEqual([
        {
          bucket: '2026-01-15T12:00:00.000000+00:00',
          session_count: 1,
          avg_traces_per_session: 1,
          avg_session_duration_ms: 1500,
        },
      ]);
    });

    it('follows the requested time zone', async () => {
      const res = await get(
        `/sessions/analytics?granularity=day&tz=America/New_York&${window(-12 * HOUR, 12 * HOUR)}`,
      ).expect(200);
      // [00:00Z, 24:00Z) on the 15th is 19:00 on the 14th to 19:00 on the 15th in New York.
      expect(res.body).toEqual([
        {
          bucket: '2026-01-14T00:00:00.000000-05:00',
          session_count: 0,
          avg_traces_per_session: null,
          avg_session_duration_ms: null,
        },
        {
          bucket: '2026-01-15T00:00:00.000000-05:00',
          session_count: 2,
          avg_traces_per_session: 2,
          avg_session_duration_ms: 3250,
        },
      ]);
    });

    it('never counts another project’s sessions', async () => {
      const res = await get(`/sessions/analytics?granularity=week&${window(-DAY, 3 * DAY)}`, b).expect(200);
      const total = res.body.reduce((n: number, r: { session_count: number }) => n + r.session_count, 0);
      expect(total).toBe(2); // B's alpha and only-b
    });

    it.each([
      ['granularity=day', 'started_after'],
      [`started_after=${encodeURIComponent(at(0))}`, 'started_before'],
      [`granularity=month&${window(0, DAY)}`, 'granularity'],
      [`started_after=soon&started_before=${encodeURIComponent(at(0))}`, 'started_after'],
      [window(DAY, 0), 'started_before'],
      [`granularity=hour&${window(0, 500 * DAY)}`, 'granularity'], // about 12,000 buckets
      [`tz=Mars/Olympus&${window(0, DAY)}`, 'tz'],
    ])('refuses %s with a 422', async (query, field) => {
      const res = await get(`/sessions/analytics?${query}`).expect(422);
      expect(res.body.detail).toBe('Validation error');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });
  });

  describe('the pandaprobe SDK as a client', () => {
    it('sends traces with session ids that GET /sessions then lists', async () => {
      const tenant = await createTenant(t);
      init({
        apiKey: tenant.apiKey,
        projectName: tenant.projectName,
        endpoint: t.baseUrl,
        flushInterval: 3600,
        batchSize: 1000,
      });
      await withTrace('turn-1', { sessionId: 'sdk-chat', userId: 'sdk-user', tags: ['sdk'] }, async (ctx) => {
        ctx.setOutput({ messages: [{ role: 'assistant', content: 'hello' }] });
      });
      await withTrace('turn-2', { sessionId: 'sdk-chat', userId: 'sdk-user' }, async () => {
        throw new Error('agent crashed');
      }).catch(() => undefined);
      await withTrace('other', { sessionId: 'sdk-other' }, async () => undefined);
      await flush();

      const res = await t.http.get('/sessions?sort_by=trace_count').set(tenant.headers).expect(200);
      expect(res.body.total).toBe(2);
      expect(res.body.items[0]).toMatchObject({
        session_id: 'sdk-chat',
        trace_count: 2,
        has_error: true,
        user_id: 'sdk-user',
        tags: ['sdk'],
      });
      expect(res.body.items[1]).toMatchObject({ session_id: 'sdk-other', trace_count: 1, has_error: false });
      const detail = await t.http.get('/sessions/sdk-chat').set(tenant.headers).expect(200);
      // The two turns may share a millisecond: the order is started_at, then trace_id.
      const traces: Array<{ name: string; started_at: string; trace_id: string }> = detail.body.traces;
      expect(traces.map((tr) => tr.name).sort()).toEqual(['turn-1', 'turn-2']);
      const key = (tr: { started_at: string; trace_id: string }) => `${tr.started_at} ${tr.trace_id}`;
      expect(key(traces[0]) < key(traces[1])).toBe(true);
    });
  });
});
