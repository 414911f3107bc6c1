import { randomBytes } from 'node:crypto';
import { LargeReadLimiter } from '../../src/modules/traces/large-read-limiter';
import { buildSpan, buildTrace } from '../factories/trace.factory';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

/**
 * Issue 10, finding 5: unbounded sizes stalled the process. Spans per trace, JSON bytes per trace
 * (ingest and span append) and bytes per trace read are bounded by configuration; a run's scores
 * are streamed page by page and take limit/offset.
 */
const noise = (bytes: number) => randomBytes(bytes / 2).toString('hex'); // incompressible text

describe('finding 5: every resource bounded', () => {
  let t: TestApp;
  let a: Tenant;
  beforeAll(async () => {
    t = await createTestApp({
      RATE_LIMIT_INGEST: '100000',
      BODY_LIMIT_BYTES: String(64 * 1024),
      MAX_SPANS_PER_TRACE: '30',
      MAX_TRACE_BYTES: String(200 * 1024),
      MAX_RESPONSE_BYTES: String(100 * 1024),
      LARGE_READ_BYTES: String(20 * 1024),
      MAX_LARGE_READS: '1',
    });
    a = await createTenant(t);
  });
  afterAll(() => t?.close());

  const spanCount = async (traceId: string) =>
    Number((await t.dataSource.query(`SELECT count(*)::int AS n FROM spans WHERE trace_id = $1`, [traceId]))[0].n);

  it('spans per trace: appends past MAX_SPANS_PER_TRACE get 413 and change nothing', async () => {
    const trace = buildTrace({ spans: Array.from({ length: 20 }, () => buildSpan()) });
    await t.http.post('/traces').set(a.headers).send(trace).expect(202);
    await t.http
      .post(`/traces/${trace.trace_id}/spans`)
      .set(a.headers)
      .send(Array.from({ length: 10 }, () => buildSpan()))
      .expect(201);
    const refused = await t.http
      .post(`/traces/${trace.trace_id}/spans`)
      .set(a.headers)
      .send([buildSpan(), buildSpan()])
      .expect(413);
    expect(refused.body.detail).toBe(
      `Trace ${trace.trace_id} would hold 32 spans; at most 30 are allowed (MAX_SPANS_PER_TRACE). Nothing was changed.`,
    );
    // Re-sending spans it already holds is still fine (an upsert, not growth).
    await t.http.post(`/traces/${trace.trace_id}/spans`).set(a.headers).send([trace.spans![0]]).expect(201);
    // A merge through POST /traces is held to the same bound.
    await t.http
      .post('/traces')
      .set(a.headers)
      .send({ ...trace, spans: [buildSpan()] })
      .expect(413);
    expect(await spanCount(trace.trace_id)).toBe(30);
    const res = await t.http.get(`/traces/${trace.trace_id}`).set(a.headers).expect(200);
    expect(res.body.span_count).toBe(30);
    // A new trace with more spans than the bound is refused before any write.
    const big = buildTrace({ spans: Array.from({ length: 31 }, () => buildSpan()) });
    await t.http.post('/traces').set(a.headers).send(big).expect(413);
    await t.http.get(`/traces/${big.trace_id}`).set(a.headers).expect(404);
  });

  it('bytes per trace: span appends cannot grow a trace past MAX_TRACE_BYTES', async () => {
    const trace = buildTrace({ spans: [] });
    await t.http.post('/traces').set(a.headers).send(trace).expect(202);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await t.http
        .post(`/traces/${trace.trace_id}/spans`)
        .set(a.headers)
        .send([buildSpan({ input: { blob: noise(40 * 1024) } })]);
      statuses.push(res.status);
      if (res.status === 413)
        expect(res.body.detail).toMatch(/bytes of JSON; at most 204800 are allowed \(MAX_TRACE_BYTES\)/);
    }
    expect(statuses).toEqual([201, 201, 201, 201, 413, 413]);
    expect(await spanCount(trace.trace_id)).toBe(4);
  });

  it('bytes per response: a trace read past MAX_RESPONSE_BYTES is refused before it is read; others are not held up', async () => {
    const trace = buildTrace({ spans: [] });
    await t.http.post('/traces').set(a.headers).send(trace).expect(202);
    for (let i = 0; i < 3; i++) {
      await t.http
        .post(`/traces/${trace.trace_id}/spans`)
        .set(a.headers)
        .send([buildSpan({ input: { blob: noise(40 * 1024) } })])
        .expect(201);
    }
    const [refused, health, small] = await Promise.all([
      t.http.get(`/traces/${trace.trace_id}`).set(a.headers),
      t.http.get('/health'),
      t.http.get(`/traces?limit=5`).set(a.headers),
    ]);
    expect(refused.status).toBe(413);
    expect(refused.body.detail).toMatch(/more than one response may carry \(MAX_RESPONSE_BYTES=102400\)/);
    expect(health.status).toBe(200);
    expect(small.status).toBe(200);
  });

  it('large reads: past LARGE_READ_BYTES a read needs one of MAX_LARGE_READS permits, else 429 with Retry-After; small reads never wait', async () => {
    const large = buildTrace({ spans: [buildSpan({ input: { blob: noise(40 * 1024) } })] });
    const small = buildTrace();
    for (const trace of [large, small]) await t.http.post('/traces').set(a.headers).send(trace).expect(202);
    const limiter = t.app.get(LargeReadLimiter);

    const release = limiter.tryAcquire()!; // another large read holds the only permit
    try {
      const refused = await t.http.get(`/traces/${large.trace_id}`).set(a.headers).expect(429);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.body).toEqual({
        detail:
          'Too many large reads in progress: at most 1 read of more than 20480 bytes at once (MAX_LARGE_READS). Retry after 1 second.',
        error: 'Too many large reads in progress: at most 1 read of more than 20480 bytes at once (MAX_LARGE_READS)',
      });
      await t.http.get(`/traces/${small.trace_id}`).set(a.headers).expect(200);
    } finally {
      release();
    }
    const read = await t.http.get(`/traces/${large.trace_id}`).set(a.headers).expect(200);
    expect(read.body.spans[0].input.blob).toHaveLength(40 * 1024);
    expect(limiter.active).toBe(0); // released once the response was written
  });

  it("a run's scores: a bare array of every score by default, streamed; limit/offset select a window", async () => {
    const trace = buildTrace();
    await t.http.post('/traces').set(a.headers).send(trace).expect(202);
    const run = await t.http
      .post('/evaluations/trace-runs/batch')
      .set(a.headers)
      .send({ metrics: ['confidence'], trace_ids: [trace.trace_id] })
      .expect(202);
    // 2,500 scores, with pairs sharing a created_at, so pages meet on ties.
    await t.dataSource.query(
      `INSERT INTO trace_scores (trace_id, project_id, name, value, source, eval_run_id, created_at)
       SELECT $1, $2, 'm-' || lpad(i::text, 4, '0'), '0.5', 'AUTOMATED', $3, now() - (i / 2) * interval '1 ms'
       FROM generate_series(1, 2500) AS i`,
      [trace.trace_id, a.projectId, run.body.id],
    );
    const expected: string[] = (
      await t.dataSource.query(`SELECT id FROM trace_scores WHERE eval_run_id = $1 ORDER BY created_at DESC, id DESC`, [
        run.body.id,
      ])
    ).map((r: { id: string }) => r.id);

    const all = await t.http.get(`/evaluations/trace-runs/${run.body.id}/scores`).set(a.headers).expect(200);
    expect(all.headers['transfer-encoding']).toBe('chunked');
    expect(all.headers['content-type']).toMatch(/^application\/json/);
    expect(all.body.map((s: { id: string }) => s.id)).toEqual(expected);
    expect(all.body[0]).toMatchObject({ trace_id: trace.trace_id, eval_run_id: run.body.id, value: '0.5' });

    const window = await t.http
      .get(`/evaluations/trace-runs/${run.body.id}/scores?limit=1500&offset=700`)
      .set(a.headers)
      .expect(200);
    expect(window.body.map((s: { id: string }) => s.id)).toEqual(expected.slice(700, 2200));
    const empty = await t.http
      .get(`/evaluations/trace-runs/${run.body.id}/scores?offset=9999`)
      .set(a.headers)
      .expect(200);
    expect(empty.body).toEqual([]);
    await t.http.get(`/evaluations/trace-runs/${run.body.id}/scores?limit=0`).set(a.headers).expect(422);
    const other = await createTenant(t);
    await t.http.get(`/evaluations/trace-runs/${run.body.id}/scores`).set(other.headers).expect(404);
  });
});
