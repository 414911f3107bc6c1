import { randomUUID } from 'node:crypto';
import { ScoreDataType, ScoreSource, ScoreStatus } from '../../src/modules/scores/entities/trace-score.entity';
import { ingestTrace } from '../factories/trace.factory';
import { insertSessionRun, insertSessionScore, SessionScoreSeed } from '../factories/session-score.factory';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

const HIGH_LIMITS = { RATE_LIMIT_INGEST: '100000', RATE_LIMIT_DEFAULT: '100000' };
const SCORES = '/evaluations/session-scores';
const ANALYTICS = '/evaluations/analytics/session-scores';
const REL = 'agent_reliability';

type Row = Record<string, unknown>;

/**
 * Session scores and their analytics over HTTP, against scores stored through the entity with
 * known values and times (session runs write them; the API has no POST). Expected numbers are
 * worked out by hand in the comments next to them.
 */
describe('session scores', () => {
  let t: TestApp;
  let a: Tenant;
  let b: Tenant;
  let r1: string;
  let r2: string;
  let rb: string;
  /** Tenant A's scores by label, S1..S9 (the ids the API must answer with). */
  const id: Record<string, string> = {};
  let theirs: string;

  const store = (tenant: Tenant, seed: SessionScoreSeed) => insertSessionScore(t.dataSource, tenant.projectId, seed);
  const get = (tenant: Tenant, path: string, query: Record<string, string | number> = {}) =>
    t.http.get(path).query(query).set(tenant.headers);
  const ids = (body: { items: Row[] } | Row[]) => (Array.isArray(body) ? body : body.items).map((r) => r.id);
  const labels = (...names: string[]) => names.map((n) => id[n]);

  beforeAll(async () => {
    t = await createTestApp(HIGH_LIMITS);
    a = await createTenant(t);
    b = await createTenant(t);
    r1 = await insertSessionRun(t.dataSource, a.projectId, 'first');
    r2 = await insertSessionRun(t.dataSource, a.projectId, 'second');
    rb = await insertSessionRun(t.dataSource, b.projectId, 'theirs');
    // 2026-01-05 is a Monday: day and week buckets start there.
    const seeds: [string, SessionScoreSeed][] = [
      ['S1', { sessionId: 'sess-1', name: REL, value: '0.2', createdAt: '2026-01-05T00:00:00Z', evalRunId: r1 }],
      ['S2', { sessionId: 'sess-1', name: REL, value: '0.4', createdAt: '2026-01-05T10:00:00Z', evalRunId: r2 }],
      [
        'S3',
        {
          sessionId: 'sess-1',
          name: 'agent_consistency',
          value: '1.0',
          createdAt: '2026-01-05T10:30:00Z',
          evalRunId: r2,
        },
      ],
      [
        'S4',
        {
          sessionId: 'sess-1',
          name: REL,
          value: null,
          status: ScoreStatus.FAILED,
          reason: 'judge unreachable',
          createdAt: '2026-01-07T06:00:00Z',
        },
      ],
      ['S5', { sessionId: 'sess-2', name: REL, value: '1.0', createdAt: '2026-01-06T00:00:00Z', evalRunId: r1 }],
      [
        'S7',
        {
          sessionId: 'sess-2',
          name: REL,
          value: 'abc', // a NUMERIC score whose stored value is no number: counted apart, never cast
          source: ScoreSource.PROGRAMMATIC,
          createdAt: '2026-01-06T01:00:00Z',
        },
      ],
      [
        'S8',
        {
          sessionId: 'sess-2',
          name: 'verdict',
          value: 'good',
          dataType: ScoreDataType.CATEGORICAL,
          source: ScoreSource.ANNOTATION,
          reason: 'read it',
          createdAt: '2026-01-06T02:00:00Z',
        },
      ],
      ['S9', { sessionId: 'sess-3', name: REL, value: '0.7', createdAt: '2026-01-06T12:00:00Z', evalRunId: r1 }],
      ['S6', { sessionId: 'sess-2', name: REL, value: '0', createdAt: '2026-01-07T05:00:00Z', evalRunId: r2 }],
    ];
    for (const [label, seed] of seeds) id[label] = await store(a, seed);
    // Another project: the same session id and metric, on the same days.
    theirs = await store(b, {
      sessionId: 'sess-1',
      name: REL,
      value: '0.9',
      createdAt: '2026-01-06T12:00:00Z',
      evalRunId: rb,
    });
  });
  afterAll(() => t.close());

  describe('GET /evaluations/session-scores', () => {
    it('lists every score of the project, newest first, in the documented shape', async () => {
      const res = await get(a, SCORES).expect(200);
      expect(res.body).toMatchObject({ total: 9, limit: 50, offset: 0 });
      expect(ids(res.body)).toEqual(labels('S4', 'S6', 'S9', 'S8', 'S7', 'S5', 'S3', 'S2', 'S1'));
      expect(res.body.items[3]).toEqual({
        id: id.S8,
        session_id: 'sess-2',
        project_id: a.projectId,
        name: 'verdict',
        data_type: 'CATEGORICAL',
        value: 'good',
        source: 'ANNOTATION',
        status: 'SUCCESS',
        eval_run_id: null,
        author_user_id: null,
        reason: 'read it',
        metadata: {},
        created_at: '2026-01-06T02:00:00.000000+00:00',
        updated_at: '2026-01-06T02:00:00.000000+00:00',
      });
      expect(res.body.items[0]).toMatchObject({ value: null, status: 'FAILED', reason: 'judge unreachable' });
    });

    it.each([
      [{ session_id: 'sess-1' }, ['S4', 'S3', 'S2', 'S1']],
      [{ name: REL }, ['S4', 'S6', 'S9', 'S7', 'S5', 'S2', 'S1']],
      [{ source: 'ANNOTATION' }, ['S8']],
      [{ source: 'PROGRAMMATIC' }, ['S7']],
      [{ status: 'FAILED' }, ['S4']],
      [{ status: 'PENDING' }, []],
      [{ date_from: '2026-01-06T00:00:00Z', date_to: '2026-01-07T00:00:00Z' }, ['S9', 'S8', 'S7', 'S5']],
      [{ date_from: '2026-01-07T05:00:00Z' }, ['S4', 'S6']],
      [{ session_id: 'sess-2', name: REL, status: 'SUCCESS' }, ['S6', 'S7', 'S5']],
      [{ session_id: 'no-such-session' }, []],
    ])('filters %p', async (query, expected) => {
      const res = await get(a, SCORES, query as Record<string, string>).expect(200);
      expect(ids(res.body)).toEqual(labels(...expected));
      expect(res.body.total).toBe(expected.length);
    });

    it('filters by eval run', async () => {
      expect(ids((await get(a, SCORES, { eval_run_id: r1 }).expect(200)).body)).toEqual(labels('S9', 'S5', 'S1'));
      expect(ids((await get(a, SCORES, { eval_run_id: r2 }).expect(200)).body)).toEqual(labels('S6', 'S3', 'S2'));
    });

    it('pages with limit and offset, total counting every match', async () => {
      const page = await get(a, SCORES, { limit: 2, offset: 1 }).expect(200);
      expect(page.body).toMatchObject({ total: 9, limit: 2, offset: 1 });
      expect(ids(page.body)).toEqual(labels('S6', 'S9'));
      const past = await get(a, SCORES, { limit: 5, offset: 100 }).expect(200);
      expect(past.body).toEqual({ items: [], total: 9, limit: 5, offset: 100 });
    });

    it('never shows another project’s scores, even for its session ids and runs', async () => {
      expect(ids((await get(a, SCORES, { eval_run_id: rb }).expect(200)).body)).toEqual([]);
      const mine = await get(b, SCORES, { session_id: 'sess-1' }).expect(200);
      expect(ids(mine.body)).toEqual([theirs]);
    });

    it.each([
      [{ limit: 0 }, 'limit'],
      [{ limit: 201 }, 'limit'],
      [{ offset: -1 }, 'offset'],
      [{ status: 'DONE' }, 'status'],
      [{ source: 'HUMAN' }, 'source'],
      [{ eval_run_id: 'not-a-uuid' }, 'eval_run_id'],
      [{ date_from: 'yesterday' }, 'date_from'],
      [{ date_to: '2026-13-01T00:00:00Z' }, 'date_to'],
      [{ session_id: '' }, 'session_id'],
      [{ session_id: 'x'.repeat(256) }, 'session_id'],
      [{ data_type: 'NUMERIC' }, 'data_type'], // not a filter of the original's session list
    ])('refuses %p with 422 naming %s', async (query, field) => {
      const res = await get(a, SCORES, query as Record<string, string>).expect(422);
      expect(res.body.detail).toBe('Validation error');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });
  });

  describe('GET /evaluations/session-scores/{session_id}', () => {
    it('answers the latest score of each metric, any status, sorted by name', async () => {
      // sess-1: agent_consistency S3; agent_reliability S1, S2 then the FAILED S4, the latest.
      expect(ids((await get(a, `${SCORES}/sess-1`).expect(200)).body)).toEqual(labels('S3', 'S4'));
      // sess-2: agent_reliability S5, S7 then S6; verdict S8.
      const res = await get(a, `${SCORES}/sess-2`).expect(200);
      expect(res.body.map((r: Row) => [r.name, r.value])).toEqual([
        [REL, '0'],
        ['verdict', 'good'],
      ]);
    });

    it('answers [] for an unknown session and keeps projects apart', async () => {
      expect((await get(a, `${SCORES}/nobody`).expect(200)).body).toEqual([]);
      expect(ids((await get(b, `${SCORES}/sess-1`).expect(200)).body)).toEqual([theirs]);
    });

    it('takes any session label: spaces and slashes, escaped in the path', async () => {
      const label = 'chat 42/ü';
      const scoreId = await store(a, { sessionId: label, name: 'x', value: '0.5', createdAt: '2025-01-01T00:00:00Z' });
      expect(ids((await get(a, `${SCORES}/${encodeURIComponent(label)}`).expect(200)).body)).toEqual([scoreId]);
      await t.http.delete(`${SCORES}/${scoreId}`).set(a.headers).expect(204);
      await get(a, `${SCORES}/${'x'.repeat(256)}`).expect(422);
    });
  });

  it('keeps a session’s scores when its traces are deleted (no foreign key, as in the original)', async () => {
    const trace = await ingestTrace(t, a, { session_id: 'short-lived' });
    const scoreId = await store(a, {
      sessionId: 'short-lived',
      name: 'x',
      value: '0.5',
      createdAt: '2025-01-01T00:00:00Z',
    });
    await t.http.delete(`/traces/${trace.trace_id}`).set(a.headers).expect(204);
    await t.http.get(`/traces/${trace.trace_id}`).set(a.headers).expect(404);
    expect(ids((await get(a, `${SCORES}/short-lived`).expect(200)).body)).toEqual([scoreId]);
    await t.http.delete(`${SCORES}/${scoreId}`).set(a.headers).expect(204);
  });

  describe('DELETE /evaluations/session-scores/{score_id}', () => {
    it('deletes a score of the project: 204, then 404', async () => {
      const scoreId = await store(a, { sessionId: 'gone', name: 'x', value: '0.5', createdAt: '2025-01-01T00:00:00Z' });
      await t.http.delete(`${SCORES}/${scoreId}`).set(a.headers).expect(204);
      expect((await get(a, `${SCORES}/gone`).expect(200)).body).toEqual([]);
      const again = await t.http.delete(`${SCORES}/${scoreId}`).set(a.headers).expect(404);
      expect(again.body).toEqual({ detail: `Score ${scoreId} not found.` });
    });

    it('answers 404 for unknown ids and another project’s score (kept), 422 for a non-UUID', async () => {
      const unknown = randomUUID();
      expect((await t.http.delete(`${SCORES}/${unknown}`).set(a.headers).expect(404)).body).toEqual({
        detail: `Score ${unknown} not found.`,
      });
      await t.http.delete(`${SCORES}/${theirs}`).set(a.headers).expect(404);
      expect(ids((await get(b, `${SCORES}/sess-1`).expect(200)).body)).toEqual([theirs]);
      await t.http.delete(`${SCORES}/not-a-uuid`).set(a.headers).expect(422);
    });
  });

  describe('analytics', () => {
    it('summary: per metric of any type, statistics of successful numbers, counts of every type', async () => {
      const res = await get(a, `${ANALYTICS}/summary`).expect(200);
      // agent_reliability numbers: 0.2, 0.4, 1.0, 0.7, 0 → avg 2.3/5 = 0.46, median 0.4; 'abc' is a
      // success left out of the statistics, S4 failed. verdict is CATEGORICAL: a row with counts and
      // null statistics, as the original.
      expect(res.body).toEqual([
        {
          metric_name: 'agent_consistency',
          avg_score: 1,
          min_score: 1,
          max_score: 1,
          median_score: 1,
          success_count: 1,
          failed_count: 0,
          non_numeric_count: 0,
          latest_score_at: '2026-01-05T10:30:00.000000+00:00',
        },
        {
          metric_name: REL,
          avg_score: expect.closeTo(0.46, 10),
          min_score: 0,
          max_score: 1,
          median_score: expect.closeTo(0.4, 10),
          success_count: 6,
          failed_count: 1,
          non_numeric_count: 1,
          latest_score_at: '2026-01-07T06:00:00.000000+00:00',
        },
        {
          metric_name: 'verdict',
          avg_score: null,
          min_score: null,
          max_score: null,
          median_score: null,
          success_count: 1,
          failed_count: 0,
          non_numeric_count: 1,
          latest_score_at: '2026-01-06T02:00:00.000000+00:00',
        },
      ]);
    });

    it('summary in a window: date_from inclusive, date_to exclusive', async () => {
      const res = await get(a, `${ANALYTICS}/summary`, {
        date_from: '2026-01-06T00:00:00Z',
        date_to: '2026-01-06T12:00:00Z',
      }).expect(200);
      // S5 1.0 (at date_from), S7 'abc' and the CATEGORICAL S8; S9 at date_to is out.
      expect(res.body).toEqual([
        {
          metric_name: REL,
          avg_score: 1,
          min_score: 1,
          max_score: 1,
          median_score: 1,
          success_count: 2,
          failed_count: 0,
          non_numeric_count: 1,
          latest_score_at: '2026-01-06T01:00:00.000000+00:00',
        },
        {
          metric_name: 'verdict',
          avg_score: null,
          min_score: null,
          max_score: null,
          median_score: null,
          success_count: 1,
          failed_count: 0,
          non_numeric_count: 1,
          latest_score_at: '2026-01-06T02:00:00.000000+00:00',
        },
      ]);
      await get(a, `${ANALYTICS}/summary`, { date_from: 'soon' }).expect(422);
    });

    it('trend by day: every day of the window, empty ones with count 0', async () => {
      const res = await get(a, `${ANALYTICS}/trend`, {
        metric_name: REL,
        date_from: '2026-01-04T00:00:00Z',
        date_to: '2026-01-08T00:00:00Z',
      }).expect(200);
      // 01-05: 0.2, 0.4; 01-06: 1.0, 0.7; 01-07: 0 (S4 failed, 'abc' no number).
      expect(res.body).toEqual([
        { bucket: '2026-01-04T00:00:00.000000+00:00', metric_name: REL, avg_score: 0, count: 0 },
        { bucket: '2026-01-05T00:00:00.000000+00:00', metric_name: REL, avg_score: expect.closeTo(0.3, 10), count: 2 },
        { bucket: '2026-01-06T00:00:00.000000+00:00', metric_name: REL, avg_score: expect.closeTo(0.85, 10), count: 2 },
        { bucket: '2026-01-07T00:00:00.000000+00:00', metric_name: REL, avg_score: 0, count: 1 },
      ]);
    });

    it('trend without dates spans the metric’s numbers; by week and by hour', async () => {
      const week = await get(a, `${ANALYTICS}/trend`, { metric_name: REL, granularity: 'week' }).expect(200);
      expect(week.body).toEqual([
        { bucket: '2026-01-05T00:00:00.000000+00:00', metric_name: REL, avg_score: expect.closeTo(0.46, 10), count: 5 },
      ]);
      const hours: Row[] = (await get(a, `${ANALYTICS}/trend`, { metric_name: REL, granularity: 'hour' }).expect(200))
        .body;
      expect(hours).toHaveLength(54); // 01-05T00 .. 01-07T05, the first and last numbers
      expect(hours[10]).toMatchObject({ bucket: '2026-01-05T10:00:00.000000+00:00', avg_score: 0.4, count: 1 });
      expect(hours[53]).toMatchObject({ bucket: '2026-01-07T05:00:00.000000+00:00', avg_score: 0, count: 1 });
      expect((await get(b, `${ANALYTICS}/trend`, { metric_name: REL }).expect(200)).body).toEqual([
        { bucket: '2026-01-06T00:00:00.000000+00:00', metric_name: REL, avg_score: 0.9, count: 1 },
      ]);
    });

    it('trend in a time zone: days start at local midnight', async () => {
      const res = await get(a, `${ANALYTICS}/trend`, {
        metric_name: REL,
        date_from: '2026-01-05T00:00:00+01:00',
        date_to: '2026-01-06T00:00:00+01:00',
        tz: 'Europe/Berlin',
      }).expect(200);
      // Berlin's 01-05 is 01-04T23:00Z .. 01-05T23:00Z: S1 (0.2) and S2 (0.4).
      expect(res.body).toEqual([
        { bucket: '2026-01-05T00:00:00.000000+01:00', metric_name: REL, avg_score: expect.closeTo(0.3, 10), count: 2 },
      ]);
    });

    it('trend: unknown metric [], bad input 422', async () => {
      expect((await get(a, `${ANALYTICS}/trend`, { metric_name: 'nothing' }).expect(200)).body).toEqual([]);
      await get(a, `${ANALYTICS}/trend`).expect(422);
      await get(a, `${ANALYTICS}/trend`, { metric_name: REL, granularity: 'minute' }).expect(422);
      await get(a, `${ANALYTICS}/trend`, {
        metric_name: REL,
        date_from: '2026-01-05T00:00:00Z',
        date_to: '2026-01-04T00:00:00Z',
      }).expect(422);
    });

    it('distribution: every bucket, 0 in the first, exactly 1.0 in the last, non-numeric apart', async () => {
      const res = await get(a, `${ANALYTICS}/distribution`, { metric_name: REL }).expect(200);
      // 0 → 1, 0.2 → 3, 0.4 → 5, 0.7 → 8, 1.0 → 10 (not an 11th bucket).
      expect(res.body.map((r: Row) => r.count)).toEqual([1, 0, 1, 0, 1, 0, 0, 1, 0, 1]);
      expect(res.body[9]).toEqual({ bucket: 10, bucket_min: 0.9, bucket_max: 1, count: 1, non_numeric_count: 1 });
      expect(res.body[0]).toEqual({ bucket: 1, bucket_min: 0, bucket_max: 0.1, count: 1, non_numeric_count: 1 });
      const halves = await get(a, `${ANALYTICS}/distribution`, { metric_name: REL, buckets: 2 }).expect(200);
      expect(halves.body.map((r: Row) => r.count)).toEqual([3, 2]); // 0, 0.2, 0.4 | 0.7, 1.0
      const windowed = await get(a, `${ANALYTICS}/distribution`, {
        metric_name: REL,
        buckets: 2,
        date_from: '2026-01-06T00:00:00Z',
        date_to: '2026-01-07T00:00:00Z',
      }).expect(200);
      // 1.0 and 0.7 in the upper half; 'abc' counted apart.
      expect(windowed.body.map((r: Row) => [r.count, r.non_numeric_count])).toEqual([
        [0, 1],
        [2, 1],
      ]);
    });

    it('distribution: bad input 422', async () => {
      for (const buckets of [0, 101, 'ten']) {
        await get(a, `${ANALYTICS}/distribution`, { metric_name: REL, buckets }).expect(422);
      }
      await get(a, `${ANALYTICS}/distribution`).expect(422);
    });

    it('history of one session: every score, oldest first, score null unless a number', async () => {
      const res = await get(a, `${ANALYTICS}/history/sess-1`).expect(200);
      expect(res.body).toEqual([
        {
          metric_name: REL,
          score: 0.2,
          eval_run_id: r1,
          created_at: '2026-01-05T00:00:00.000000+00:00',
          status: 'SUCCESS',
        },
        {
          metric_name: REL,
          score: 0.4,
          eval_run_id: r2,
          created_at: '2026-01-05T10:00:00.000000+00:00',
          status: 'SUCCESS',
        },
        {
          metric_name: 'agent_consistency',
          score: 1,
          eval_run_id: r2,
          created_at: '2026-01-05T10:30:00.000000+00:00',
          status: 'SUCCESS',
        },
        {
          metric_name: REL,
          score: null,
          eval_run_id: null,
          created_at: '2026-01-07T06:00:00.000000+00:00',
          status: 'FAILED',
        },
      ]);
    });

    it('history: one metric, the newest `limit` points, unknown session [], bad input 422', async () => {
      const rel = await get(a, `${ANALYTICS}/history/sess-1`, { metric_name: REL, limit: 2 }).expect(200);
      expect(rel.body.map((r: Row) => [r.score, r.status])).toEqual([
        [0.4, 'SUCCESS'],
        [null, 'FAILED'],
      ]);
      expect((await get(a, `${ANALYTICS}/history/nobody`).expect(200)).body).toEqual([]);
      expect((await get(b, `${ANALYTICS}/history/sess-1`).expect(200)).body).toEqual([
        {
          metric_name: REL,
          score: 0.9,
          eval_run_id: rb,
          created_at: '2026-01-06T12:00:00.000000+00:00',
          status: 'SUCCESS',
        },
      ]);
      for (const limit of [0, 201, 'all']) await get(a, `${ANALYTICS}/history/sess-1`, { limit }).expect(422);
    });

    it('comparison: each session’s latest score ranked, numberless last, paged', async () => {
      // Latest agent_reliability: sess-1 S4 (FAILED: no number), sess-2 S6 (0), sess-3 S9 (0.7).
      const asc = await get(a, `${ANALYTICS}/comparison`, { metric_name: REL }).expect(200);
      expect(asc.body).toEqual({
        items: [
          { session_id: 'sess-2', score: 0, evaluated_at: '2026-01-07T05:00:00.000000+00:00', eval_run_id: r2 },
          { session_id: 'sess-3', score: 0.7, evaluated_at: '2026-01-06T12:00:00.000000+00:00', eval_run_id: r1 },
          { session_id: 'sess-1', score: null, evaluated_at: '2026-01-07T06:00:00.000000+00:00', eval_run_id: null },
        ],
        total: 3,
        limit: 20,
        offset: 0,
      });
      const desc = await get(a, `${ANALYTICS}/comparison`, { metric_name: REL, sort_order: 'desc' }).expect(200);
      expect(desc.body.items.map((r: Row) => r.session_id)).toEqual(['sess-3', 'sess-2', 'sess-1']);
      const page = await get(a, `${ANALYTICS}/comparison`, { metric_name: REL, limit: 1, offset: 1 }).expect(200);
      expect(page.body).toMatchObject({ total: 3, limit: 1, offset: 1 });
      expect(page.body.items.map((r: Row) => r.session_id)).toEqual(['sess-3']);
      const past = await get(a, `${ANALYTICS}/comparison`, { metric_name: REL, offset: 10 }).expect(200);
      expect(past.body).toEqual({ items: [], total: 3, limit: 20, offset: 10 });
      const theirsRank = await get(b, `${ANALYTICS}/comparison`, { metric_name: REL }).expect(200);
      expect(theirsRank.body.items).toEqual([
        { session_id: 'sess-1', score: 0.9, evaluated_at: '2026-01-06T12:00:00.000000+00:00', eval_run_id: rb },
      ]);
    });

    it('comparison: equal scores are ordered by session id, in both orders', async () => {
      const fresh = await createTenant(t);
      for (const sessionId of ['tie-b', 'tie-a', 'tie-c']) {
        await store(fresh, { sessionId, name: 'tied', value: '0.5', createdAt: '2025-01-01T00:00:00Z' });
      }
      for (const sort_order of ['asc', 'desc']) {
        const res = await get(fresh, `${ANALYTICS}/comparison`, { metric_name: 'tied', sort_order }).expect(200);
        expect(res.body.items.map((r: Row) => r.session_id)).toEqual(['tie-a', 'tie-b', 'tie-c']);
      }
    });

    it('comparison: unknown metric is an empty page, bad input 422', async () => {
      expect((await get(a, `${ANALYTICS}/comparison`, { metric_name: 'nothing' }).expect(200)).body).toEqual({
        items: [],
        total: 0,
        limit: 20,
        offset: 0,
      });
      await get(a, `${ANALYTICS}/comparison`).expect(422);
      const bad: Record<string, string | number>[] = [
        { sort_order: 'sideways' },
        { limit: 0 },
        { limit: 101 },
        { offset: -1 },
      ];
      for (const query of bad) {
        await get(a, `${ANALYTICS}/comparison`, { metric_name: REL, ...query }).expect(422);
      }
    });

    it('a project without session scores: summary [], trend [], empty buckets, empty ranking', async () => {
      const fresh = await createTenant(t);
      expect((await get(fresh, `${ANALYTICS}/summary`).expect(200)).body).toEqual([]);
      expect((await get(fresh, `${ANALYTICS}/trend`, { metric_name: REL }).expect(200)).body).toEqual([]);
      const hist = await get(fresh, `${ANALYTICS}/distribution`, { metric_name: REL }).expect(200);
      expect(hist.body.every((r: Row) => r.count === 0 && r.non_numeric_count === 0)).toBe(true);
      expect((await get(fresh, `${ANALYTICS}/comparison`, { metric_name: REL }).expect(200)).body.total).toBe(0);
    });
  });
});
