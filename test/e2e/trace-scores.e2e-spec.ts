import { randomUUID } from 'node:crypto';
import { buildTrace } from '../factories/trace.factory';
import { createMember, createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

const HIGH_LIMITS = { RATE_LIMIT_INGEST: '100000', RATE_LIMIT_DEFAULT: '100000' };
const SCORES = '/evaluations/trace-scores';

describe('trace scores', () => {
  let t: TestApp;
  let a: Tenant;
  let b: Tenant;

  beforeAll(async () => {
    t = await createTestApp(HIGH_LIMITS);
    a = await createTenant(t);
    b = await createTenant(t);
  });
  afterAll(() => t.close());

  /** Ingests a trace through the real API and returns its id. */
  async function ingest(tenant: Tenant, overrides: Record<string, unknown> = {}): Promise<string> {
    const trace = buildTrace(overrides);
    await t.http.post('/traces').set(tenant.headers).send(trace).expect(202);
    return trace.trace_id;
  }

  const post = (tenant: Tenant, body: Record<string, unknown>) => t.http.post(SCORES).set(tenant.headers).send(body);
  const list = (tenant: Tenant, query: Record<string, string | number> = {}) =>
    t.http.get(SCORES).query(query).set(tenant.headers);

  async function score(tenant: Tenant, body: Record<string, unknown>) {
    const res = await post(tenant, body).expect(201);
    return res.body as Record<string, unknown> & { id: string; created_at: string };
  }

  describe('on an empty project', () => {
    it('lists no scores', async () => {
      const fresh = await createTenant(t);
      const res = await list(fresh).expect(200);
      expect(res.body).toEqual({ items: [], total: 0, limit: 50, offset: 0 });
    });

    it('answers [] for the latest scores of an unknown trace', async () => {
      const res = await t.http.get(`${SCORES}/${randomUUID()}`).set(a.headers).expect(200);
      expect(res.body).toEqual([]);
    });
  });

  describe('POST', () => {
    it('creates an ANNOTATION NUMERIC score with a reason (the defaults)', async () => {
      const traceId = await ingest(a, { environment: 'production' });
      const res = await post(a, { trace_id: traceId, name: 'accuracy', value: '0.9', reason: 'looks right' }).expect(
        201,
      );
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        trace_id: traceId,
        name: 'accuracy',
        value: '0.9',
        status: 'SUCCESS',
        source: 'ANNOTATION',
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/),
        project_id: a.projectId,
        data_type: 'NUMERIC',
        eval_run_id: null,
        author_user_id: null,
        reason: 'looks right',
        environment: 'production',
        config_id: null,
        metadata: {},
        updated_at: expect.any(String),
      });
    });

    it('creates a PROGRAMMATIC BOOLEAN score, whatever the case of the value', async () => {
      const traceId = await ingest(a);
      const res = await post(a, {
        trace_id: traceId,
        name: 'is_safe',
        value: 'TRUE',
        data_type: 'BOOLEAN',
        source: 'PROGRAMMATIC',
      }).expect(201);
      expect(res.body).toMatchObject({
        data_type: 'BOOLEAN',
        source: 'PROGRAMMATIC',
        value: 'true',
        status: 'SUCCESS',
      });
    });

    it('accepts the body the SDK and CLI send, with metadata', async () => {
      const traceId = await ingest(a);
      const res = await post(a, {
        trace_id: traceId,
        name: 'accuracy',
        value: '0.85',
        data_type: 'NUMERIC',
        source: 'PROGRAMMATIC',
        metadata: { threshold: 0.5, tags: ['x'] },
      }).expect(201);
      expect(res.body).toMatchObject({
        value: '0.85',
        source: 'PROGRAMMATIC',
        metadata: { threshold: 0.5, tags: ['x'] },
      });
      expect(typeof res.body.value).toBe('string');
    });

    it('accepts any CATEGORICAL label', async () => {
      const traceId = await ingest(a);
      const res = await post(a, {
        trace_id: traceId,
        name: 'tone',
        value: 'Friendly, mostly',
        data_type: 'CATEGORICAL',
      }).expect(201);
      expect(res.body.value).toBe('Friendly, mostly');
    });

    it('records the author of a score made by a signed-in user', async () => {
      const member = await createMember(t, a);
      const traceId = await ingest(a);
      const res = await t.http
        .post(SCORES)
        .set(member.headers)
        .send({ trace_id: traceId, name: 'accuracy', value: '1' })
        .expect(201);
      expect(res.body.author_user_id).toBe(member.userId);
    });

    it.each([
      ['NUMERIC', 'hello', 'NUMERIC score must be a valid number'],
      ['NUMERIC', '', 'NUMERIC score must be a valid number'],
      ['NUMERIC', '1.5', 'NUMERIC score must be in [0.0, 1.0]'],
      ['NUMERIC', '-0.1', 'NUMERIC score must be in [0.0, 1.0]'],
      ['BOOLEAN', 'yes', "BOOLEAN score must be 'true' or 'false'"],
    ])('refuses a %s value %p with 422 "%s"', async (dataType, value, message) => {
      const traceId = await ingest(a);
      const res = await post(a, { trace_id: traceId, name: 'm', value, data_type: dataType }).expect(422);
      expect(res.body).toEqual({ detail: 'Validation error', errors: [{ field: 'value', message }] });
      expect((await list(a, { trace_id: traceId }).expect(200)).body.total).toBe(0);
    });

    it('refuses bad shapes with 422 naming the field', async () => {
      const traceId = await ingest(a);
      const cases: [Record<string, unknown>, string][] = [
        [{ trace_id: traceId, name: 'm', value: 0.5 }, 'value'],
        [{ trace_id: traceId, name: 'm' }, 'value'],
        [{ trace_id: traceId, name: '', value: '0.5' }, 'name'],
        [{ trace_id: traceId, name: 'x'.repeat(256), value: '0.5' }, 'name'],
        [{ trace_id: traceId, name: 'm', value: 'x'.repeat(256), data_type: 'CATEGORICAL' }, 'value'],
        [{ trace_id: 'not-a-uuid', name: 'm', value: '0.5' }, 'trace_id'],
        [{ trace_id: traceId, name: 'm', value: '0.5', data_type: 'SCORE' }, 'data_type'],
        [{ trace_id: traceId, name: 'm', value: '0.5', source: 'AUTOMATED' }, 'source'],
        [{ trace_id: traceId, name: 'm', value: '0.5', metadata: ['a'] }, 'metadata'],
        [{ trace_id: traceId, name: 'm', value: '0.5', extra: 1 }, 'extra'],
      ];
      for (const [body, field] of cases) {
        const res = await post(a, body).expect(422);
        expect(res.body.detail).toBe('Validation error');
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
      const automated = await post(a, { trace_id: traceId, name: 'm', value: '0.5', source: 'AUTOMATED' }).expect(422);
      expect(automated.body.errors[0].message).toMatch(/ANNOTATION or PROGRAMMATIC/);
    });

    it('answers 404 for an unknown trace and for a trace of another project, writing nothing', async () => {
      const unknown = randomUUID();
      expect((await post(a, { trace_id: unknown, name: 'm', value: '0.5' }).expect(404)).body).toEqual({
        detail: `Trace ${unknown} not found.`,
      });
      const foreign = await ingest(b);
      expect((await post(a, { trace_id: foreign, name: 'm', value: '0.5' }).expect(404)).body).toEqual({
        detail: `Trace ${foreign} not found.`,
      });
      expect((await list(a, { trace_id: foreign }).expect(200)).body.total).toBe(0);
      expect((await list(b, { trace_id: foreign }).expect(200)).body.total).toBe(0);
    });

    it('requires credentials', async () => {
      await t.http.post(SCORES).send({ trace_id: randomUUID(), name: 'm', value: '0.5' }).expect(401);
      await t.http.get(SCORES).expect(401);
    });
  });

  describe('GET /{trace_id}: the latest score per name', () => {
    it('returns the newest score of each name, sorted by name, any status', async () => {
      const traceId = await ingest(a);
      await score(a, { trace_id: traceId, name: 'relevance', value: '0.2' });
      await score(a, { trace_id: traceId, name: 'accuracy', value: '0.3' });
      const newer = await score(a, { trace_id: traceId, name: 'relevance', value: '0.7' });
      await score(a, { trace_id: traceId, name: 'tone', value: 'ok', data_type: 'CATEGORICAL' });

      const res = await t.http.get(`${SCORES}/${traceId}`).set(a.headers).expect(200);
      expect(res.body.map((s: { name: string; value: string }) => [s.name, s.value])).toEqual([
        ['accuracy', '0.3'],
        ['relevance', '0.7'],
        ['tone', 'ok'],
      ]);
      expect(res.body[1].id).toBe(newer.id);
      for (const s of res.body) expect(typeof s.value).toBe('string');
    });

    it("never shows another project's scores, and refuses an id that is not a UUID", async () => {
      const traceId = await ingest(a);
      await score(a, { trace_id: traceId, name: 'accuracy', value: '0.5' });
      expect((await t.http.get(`${SCORES}/${traceId}`).set(b.headers).expect(200)).body).toEqual([]);
      await t.http.get(`${SCORES}/nope`).set(a.headers).expect(422);
    });
  });

  describe('PATCH', () => {
    it('updates value and reason; the score becomes a successful ANNOTATION', async () => {
      const traceId = await ingest(a);
      const created = await score(a, {
        trace_id: traceId,
        name: 'accuracy',
        value: '0.4',
        source: 'PROGRAMMATIC',
        metadata: { a: 1 },
      });
      await new Promise((r) => setTimeout(r, 5));
      const res = await t.http
        .patch(`${SCORES}/${created.id}`)
        .set(a.headers)
        .send({ value: '0.95', reason: 'checked by hand' })
        .expect(200);
      expect(res.body).toMatchObject({
        id: created.id,
        value: '0.95',
        reason: 'checked by hand',
        source: 'ANNOTATION',
        status: 'SUCCESS',
        metadata: { a: 1 },
        created_at: created.created_at,
      });
      expect(Date.parse(res.body.updated_at)).toBeGreaterThan(Date.parse(created.updated_at as string));
    });

    it('leaves null or missing fields unchanged and replaces metadata', async () => {
      const traceId = await ingest(a);
      const created = await score(a, {
        trace_id: traceId,
        name: 'accuracy',
        value: '0.4',
        reason: 'r',
        metadata: { a: 1, b: 2 },
      });
      const res = await t.http
        .patch(`${SCORES}/${created.id}`)
        .set(a.headers)
        .send({ value: null, reason: null, metadata: { c: 3 } })
        .expect(200);
      expect(res.body).toMatchObject({ value: '0.4', reason: 'r', metadata: { c: 3 } });
      const again = await t.http.get(`${SCORES}/${traceId}`).set(a.headers).expect(200);
      expect(again.body[0].metadata).toEqual({ c: 3 });
    });

    it('checks the value against the stored data type', async () => {
      const traceId = await ingest(a);
      const created = await score(a, { trace_id: traceId, name: 'accuracy', value: '0.4' });
      const patch = (value: string) => t.http.patch(`${SCORES}/${created.id}`).set(a.headers).send({ value });
      expect((await patch('hello').expect(422)).body.errors).toEqual([
        { field: 'value', message: 'NUMERIC score must be a valid number' },
      ]);
      expect((await patch('1.5').expect(422)).body.errors).toEqual([
        { field: 'value', message: 'NUMERIC score must be in [0.0, 1.0]' },
      ]);
      expect((await patch('0.9').expect(200)).body.value).toBe('0.9');

      const flag = await score(a, { trace_id: traceId, name: 'ok', value: 'false', data_type: 'BOOLEAN' });
      await t.http.patch(`${SCORES}/${flag.id}`).set(a.headers).send({ value: '0.5' }).expect(422);
      expect(
        (await t.http.patch(`${SCORES}/${flag.id}`).set(a.headers).send({ value: 'True' }).expect(200)).body.value,
      ).toBe('true');
    });

    it('makes a failed automated score a success only with a value', async () => {
      const traceId = await ingest(a);
      const [row] = await t.dataSource.query(
        `INSERT INTO trace_scores (trace_id, project_id, name, value, source, status, reason)
         VALUES ($1, $2, 'task_completion', NULL, 'AUTOMATED', 'FAILED', 'judge timed out') RETURNING id`,
        [traceId, a.projectId],
      );
      const url = `${SCORES}/${row.id}`;
      const refused = await t.http.patch(url).set(a.headers).send({ reason: 'looked at it' }).expect(422);
      expect(refused.body.errors).toEqual([
        { field: 'value', message: 'value is required: this score has no value yet' },
      ]);
      const res = await t.http.patch(url).set(a.headers).send({ value: '0.6', reason: 'judged by hand' }).expect(200);
      expect(res.body).toMatchObject({
        value: '0.6',
        status: 'SUCCESS',
        source: 'ANNOTATION',
        reason: 'judged by hand',
      });
    });

    it("answers 404 for an unknown score and for another project's score, changing nothing", async () => {
      const unknown = randomUUID();
      const res = await t.http.patch(`${SCORES}/${unknown}`).set(a.headers).send({ value: '0.5' }).expect(404);
      expect(res.body).toEqual({ detail: `Score ${unknown} not found.` });

      const traceId = await ingest(b);
      const theirs = await score(b, { trace_id: traceId, name: 'accuracy', value: '0.1' });
      await t.http.patch(`${SCORES}/${theirs.id}`).set(a.headers).send({ value: '0.9' }).expect(404);
      const still = await t.http.get(`${SCORES}/${traceId}`).set(b.headers).expect(200);
      expect(still.body[0]).toMatchObject({ value: '0.1', updated_at: theirs.updated_at });
    });
  });

  describe('DELETE', () => {
    it('deletes a score: 204, and it leaves the latest-per-name list', async () => {
      const traceId = await ingest(a);
      const older = await score(a, { trace_id: traceId, name: 'accuracy', value: '0.3' });
      const newer = await score(a, { trace_id: traceId, name: 'accuracy', value: '0.8' });
      await t.http.delete(`${SCORES}/${newer.id}`).set(a.headers).expect(204);
      const latest = await t.http.get(`${SCORES}/${traceId}`).set(a.headers).expect(200);
      expect(latest.body.map((s: { id: string }) => s.id)).toEqual([older.id]);
      await t.http.delete(`${SCORES}/${older.id}`).set(a.headers).expect(204);
      expect((await t.http.get(`${SCORES}/${traceId}`).set(a.headers).expect(200)).body).toEqual([]);
      await t.http.delete(`${SCORES}/${older.id}`).set(a.headers).expect(404);
    });

    it("answers 404 for an unknown score and for another project's score", async () => {
      const unknown = randomUUID();
      expect((await t.http.delete(`${SCORES}/${unknown}`).set(a.headers).expect(404)).body).toEqual({
        detail: `Score ${unknown} not found.`,
      });
      const traceId = await ingest(b);
      const theirs = await score(b, { trace_id: traceId, name: 'accuracy', value: '0.1' });
      await t.http.delete(`${SCORES}/${theirs.id}`).set(a.headers).expect(404);
      expect((await t.http.get(`${SCORES}/${traceId}`).set(b.headers).expect(200)).body).toHaveLength(1);
    });
  });

  describe('GET list: filters and pages', () => {
    let p: Tenant;
    let prodTrace: string;
    let devTrace: string;
    let runId: string;
    const ids: Record<string, string> = {};
    let middle: string;

    beforeAll(async () => {
      p = await createTenant(t);
      prodTrace = await ingest(p, { environment: 'prod' });
      devTrace = await ingest(p, { environment: 'dev' });
      ids.first = (await score(p, { trace_id: prodTrace, name: 'accuracy', value: '0.1' })).id;
      ids.bool = (
        await score(p, {
          trace_id: prodTrace,
          name: 'is_safe',
          value: 'true',
          data_type: 'BOOLEAN',
          source: 'PROGRAMMATIC',
        })
      ).id;
      await new Promise((r) => setTimeout(r, 20));
      const mid = await score(p, { trace_id: devTrace, name: 'accuracy', value: '0.5', source: 'PROGRAMMATIC' });
      ids.mid = mid.id;
      middle = mid.created_at;
      await new Promise((r) => setTimeout(r, 20));
      ids.cat = (await score(p, { trace_id: devTrace, name: 'tone', value: 'calm', data_type: 'CATEGORICAL' })).id;
      // An automated, failed score of an eval run, as the workers write them.
      const [run] = await t.dataSource.query(
        `INSERT INTO eval_runs (project_id, name, metric_names, status) VALUES ($1, 'r', ARRAY['task_completion'], 'COMPLETED') RETURNING id`,
        [p.projectId],
      );
      runId = run.id;
      const [auto] = await t.dataSource.query(
        `INSERT INTO trace_scores (trace_id, project_id, name, value, source, status, eval_run_id, environment, reason)
         VALUES ($1, $2, 'task_completion', NULL, 'AUTOMATED', 'FAILED', $3, 'prod', 'judge failed') RETURNING id`,
        [prodTrace, p.projectId, runId],
      );
      ids.auto = auto.id;
      // Noise in another project that no filter of p may see.
      const other = await ingest(b, { environment: 'prod' });
      await score(b, { trace_id: other, name: 'accuracy', value: '0.9' });
    });

    const idsOf = async (query: Record<string, string | number>) => {
      const res = await list(p, query).expect(200);
      return { ids: res.body.items.map((s: { id: string }) => s.id).sort(), total: res.body.total as number };
    };
    const sorted = (...keys: string[]) => keys.map((k) => ids[k]).sort();

    it('lists everything of the project, newest first, values as strings or null', async () => {
      const res = await list(p).expect(200);
      expect(res.body.total).toBe(5);
      expect(res.body.items.map((s: { id: string }) => s.id)).toEqual([
        ids.auto,
        ids.cat,
        ids.mid,
        ids.bool,
        ids.first,
      ]);
      for (const s of res.body.items) expect(s.value === null || typeof s.value === 'string').toBe(true);
    });

    it.each([
      [{ name: 'accuracy' }, ['first', 'mid']],
      [{ source: 'PROGRAMMATIC' }, ['bool', 'mid']],
      [{ source: 'AUTOMATED' }, ['auto']],
      [{ status: 'FAILED' }, ['auto']],
      [{ status: 'SUCCESS' }, ['first', 'bool', 'mid', 'cat']],
      [{ data_type: 'BOOLEAN' }, ['bool']],
      [{ data_type: 'CATEGORICAL' }, ['cat']],
      [{ environment: 'dev' }, ['mid', 'cat']],
      [{ environment: 'prod' }, ['first', 'bool', 'auto']],
      [{ name: 'accuracy', source: 'ANNOTATION' }, ['first']],
    ])('filters by %j', async (query, expected) => {
      const got = await idsOf(query);
      expect(got).toEqual({ ids: sorted(...expected), total: expected.length });
    });

    it('filters by trace_id and eval_run_id', async () => {
      expect(await idsOf({ trace_id: devTrace })).toEqual({ ids: sorted('mid', 'cat'), total: 2 });
      expect(await idsOf({ eval_run_id: runId })).toEqual({ ids: sorted('auto'), total: 1 });
      expect(await idsOf({ eval_run_id: randomUUID() })).toEqual({ ids: [], total: 0 });
    });

    it('filters on created_at: date_from inclusive, date_to exclusive', async () => {
      const from = await idsOf({ date_from: middle });
      expect(from.ids).toContain(ids.mid);
      expect(from.ids).not.toContain(ids.first);
      expect(from.ids).toEqual(sorted('mid', 'cat', 'auto'));
      const to = await idsOf({ date_to: middle });
      expect(to.ids).toEqual(sorted('first', 'bool'));
      expect((await idsOf({ date_from: '2000-01-01', date_to: '2000-01-02T00:00:00+02:00' })).total).toBe(0);
      const res = await list(p, { date_from: 'yesterday' }).expect(422);
      expect(res.body.errors[0].field).toBe('date_from');
    });

    it('pages with stable totals and no overlap', async () => {
      const seen: string[] = [];
      for (let offset = 0; offset < 5; offset += 2) {
        const res = await list(p, { limit: 2, offset }).expect(200);
        expect(res.body).toMatchObject({ total: 5, limit: 2, offset });
        seen.push(...res.body.items.map((s: { id: string }) => s.id));
      }
      expect(seen).toHaveLength(5);
      expect(new Set(seen).size).toBe(5);
      const past = await list(p, { limit: 2, offset: 10 }).expect(200);
      expect(past.body).toEqual({ items: [], total: 5, limit: 2, offset: 10 });
    });

    it('refuses bad query values with 422', async () => {
      const bad: Record<string, string | number>[] = [
        { limit: 0 },
        { limit: 201 },
        { offset: -1 },
        { source: 'HUMAN' },
        { status: 'DONE' },
        { data_type: 'X' },
        { trace_id: 'x' },
      ];
      for (const query of bad) {
        const res = await list(p, query).expect(422);
        expect(res.body.detail).toBe('Validation error');
      }
    });
  });
  describe('GET /evaluations/analytics/trace-scores/summary', () => {
    const summary = (tenant: Tenant, query: Record<string, string> = {}) =>
      t.http.get('/evaluations/analytics/trace-scores/summary').query(query).set(tenant.headers);

    it('is [] on an empty project', async () => {
      const fresh = await createTenant(t);
      expect((await summary(fresh).expect(200)).body).toEqual([]);
    });

    it('summarises scores per metric name, of every data type: statistics over successful numbers, counts of all', async () => {
      const q = await createTenant(t);
      const traceId = await ingest(q);
      await score(q, { trace_id: traceId, name: 'quality', value: '0.8' });
      const last = await score(q, { trace_id: traceId, name: 'quality', value: '0.6' });
      const verdict = await score(q, { trace_id: traceId, name: 'verdict', value: 'true', data_type: 'BOOLEAN' });
      await t.dataSource.query(
        `INSERT INTO trace_scores (trace_id, project_id, name, data_type, value, source, status, created_at)
         VALUES ($1, $2, 'verdict', 'BOOLEAN', NULL, 'AUTOMATED', 'FAILED', now() - interval '1 day')`,
        [traceId, q.projectId],
      );
      await t.dataSource.query(
        `INSERT INTO trace_scores (trace_id, project_id, name, value, source, status, created_at)
         VALUES ($1, $2, 'quality', NULL, 'AUTOMATED', 'FAILED', now() - interval '1 day')`,
        [traceId, q.projectId],
      );
      const res = await summary(q).expect(200);
      expect(res.body).toEqual([
        {
          metric_name: 'quality',
          avg_score: expect.closeTo(0.7, 10),
          min_score: 0.6,
          max_score: 0.8,
          median_score: expect.closeTo(0.7, 10),
          success_count: 2,
          failed_count: 1,
          latest_score_at: last.created_at,
          non_numeric_count: 0,
        },
        // A BOOLEAN metric has its row, as in the original: counts, and null statistics.
        {
          metric_name: 'verdict',
          avg_score: null,
          min_score: null,
          max_score: null,
          median_score: null,
          success_count: 1,
          failed_count: 1,
          latest_score_at: verdict.created_at,
          non_numeric_count: 1,
        },
      ]);
      const windowed = await summary(q, { date_from: last.created_at }).expect(200);
      expect(windowed.body).toEqual([
        expect.objectContaining({ metric_name: 'quality', success_count: 1, failed_count: 0, min_score: 0.6 }),
        expect.objectContaining({ metric_name: 'verdict', success_count: 1, failed_count: 0, avg_score: null }),
      ]);
      expect((await summary(q, { date_to: '2000-01-01' }).expect(200)).body).toEqual([]);
      expect((await summary(b).expect(200)).body.map((r: { metric_name: string }) => r.metric_name)).not.toContain(
        'quality',
      );
      await summary(q, { date_from: 'soon' }).expect(422);
    });
  });
});
