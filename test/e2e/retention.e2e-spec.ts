import { buildSpan, buildTrace } from '../factories/trace.factory';
import { MembershipRole } from '../../src/modules/auth/entities/membership.entity';
import { createMember, createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';
import { RetentionService } from '../../src/modules/retention/retention.service';
import { TraceRetentionStore } from '../../src/modules/traces/trace-retention.store';

const DAY = 86_400_000;
/** The injected clock: every age below is relative to it. */
const NOW = new Date('2026-06-01T00:00:00Z');
const ago = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();
/** Ages in days of the traces each project gets; 30 is exactly on a 30-day cutoff (kept: strictly older goes). */
const AGES = [0.5, 29, 30, 30.01, 45, 400];

describe('retention: traces older than the project retention go, with their spans and scores', () => {
  let t: TestApp;
  let a: Tenant; // retention_days 30
  let b: Tenant; // no setting: follows RETENTION_DAYS
  let c: Tenant; // retention_days 0: kept forever
  /** Trace ids by project and age. */
  const ids = new Map<string, Map<number, string>>();

  const ingest = async (tenant: Tenant, ageDays: number) => {
    const started = ago(ageDays);
    const ended = new Date(Date.parse(started) + 1000).toISOString();
    const spans = [1, 2].map(() => buildSpan({ started_at: started, ended_at: ended }));
    const trace = buildTrace({ started_at: started, ended_at: ended, spans });
    await t.http.post('/traces').set(tenant.headers).send(trace).expect(202);
    await t.http
      .post('/evaluations/trace-scores')
      .set(tenant.headers)
      .send({ trace_id: trace.trace_id, name: 'accuracy', value: '0.9' })
      .expect(201);
    return trace.trace_id;
  };

  /** Bearer headers of an OWNER of the tenant's organization: only they may change retention. */
  const owners = new Map<string, Record<string, string>>();
  const owner = async (tenant: Tenant) => {
    if (!owners.has(tenant.projectId)) {
      owners.set(tenant.projectId, (await createMember(t, tenant, MembershipRole.OWNER)).headers);
    }
    return owners.get(tenant.projectId)!;
  };

  /** A RetentionService with the app's settings and the given server default. */
  const service = (days: number) =>
    new RetentionService(
      { ...t.config, retention: { ...t.config.retention, days } },
      t.dataSource,
      new TraceRetentionStore(t.dataSource),
    );

  /** Per project: the ages whose trace is still stored, with span and score counts of what is gone. */
  const surviving = async (tenant: Tenant) => {
    const byAge = ids.get(tenant.projectId)!;
    const all = [...byAge.values()];
    const rows: { trace_id: string }[] = await t.dataSource.query(
      `SELECT trace_id FROM traces WHERE trace_id = ANY($1::uuid[])`,
      [all],
    );
    const kept = new Set(rows.map((r) => r.trace_id));
    const gone = all.filter((id) => !kept.has(id));
    const [orphans] = await t.dataSource.query(
      `SELECT (SELECT count(*) FROM spans WHERE trace_id = ANY($1::uuid[]))::int AS spans,
              (SELECT count(*) FROM trace_scores WHERE trace_id = ANY($1::uuid[]))::int AS scores,
              (SELECT count(*) FROM spans WHERE trace_id = ANY($2::uuid[]))::int AS kept_spans,
              (SELECT count(*) FROM trace_scores WHERE trace_id = ANY($2::uuid[]))::int AS kept_scores`,
      [gone, [...kept]],
    );
    return {
      ages: [...byAge.entries()].filter(([, id]) => kept.has(id)).map(([age]) => age),
      ...orphans,
    };
  };

  beforeAll(async () => {
    // No schedule (interval 0): the test sweeps with its own clock. Batches of 2 make the
    // 4 old traces of project a take several batches.
    t = await createTestApp({ RETENTION_INTERVAL_MS: '0', RETENTION_BATCH_SIZE: '2', RETENTION_BATCH_PAUSE_MS: '0' });
    [a, b, c] = [await createTenant(t), await createTenant(t), await createTenant(t)];
    for (const tenant of [a, b, c]) {
      const byAge = new Map<number, string>();
      for (const age of AGES) byAge.set(age, await ingest(tenant, age));
      ids.set(tenant.projectId, byAge);
    }
  });

  afterAll(async () => {
    await t?.close();
  });

  describe('the setting (PATCH /projects/current)', () => {
    it('defaults to null (the server default) and is shown on GET /projects/current', async () => {
      const res = await t.http.get('/projects/current').set(a.headers).expect(200);
      expect(res.body.retention_days).toBeNull();
    });

    it.each([[-1], [1.5], ['30'], [36501], [undefined]])('rejects retention_days %p with a 422', async (value) => {
      const res = await t.http
        .patch('/projects/current')
        .set(await owner(a))
        .send({ retention_days: value })
        .expect(422);
      expect(res.body).toMatchObject({ detail: 'Validation error' });
      expect(JSON.stringify(res.body.errors)).toContain('retention_days');
    });

    it('needs a Bearer OWNER or ADMIN: an ingest key or a MEMBER gets 403 and changes nothing', async () => {
      const byKey = await t.http.patch('/projects/current').set(a.headers).send({ retention_days: 1 }).expect(403);
      expect(byKey.body.detail).toMatch(/OWNER or ADMIN.*API keys cannot/);
      const member = (await createMember(t, a)).headers;
      await t.http.patch('/projects/current').set(member).send({ retention_days: 1 }).expect(403);
      const admin = (await createMember(t, a, MembershipRole.ADMIN)).headers;
      await t.http.patch('/projects/current').set(admin).send({ retention_days: null }).expect(200);
      expect((await t.http.get('/projects/current').set(a.headers).expect(200)).body.retention_days).toBeNull();
    });

    it('sets days, 0 or null, for the caller project only', async () => {
      await t.http
        .patch('/projects/current')
        .set(await owner(c))
        .send({ retention_days: 0 })
        .expect(200);
      const cleared = await t.http
        .patch('/projects/current')
        .set(await owner(b))
        .send({ retention_days: null })
        .expect(200);
      expect(cleared.body.retention_days).toBeNull();
      const res = await t.http
        .patch('/projects/current')
        .set(await owner(a))
        .send({ retention_days: 30 })
        .expect(200);
      expect(res.body).toMatchObject({ id: a.projectId, retention_days: 30 });
      expect((await t.http.get('/projects/current').set(b.headers).expect(200)).body.retention_days).toBeNull();
      expect((await t.http.get('/projects/current').set(c.headers).expect(200)).body.retention_days).toBe(0);
    });
  });

  describe('the sweep (clock fixed at 2026-06-01)', () => {
    it('server default off: only project a (30 days) loses exactly its traces older than 30 days', async () => {
      const results = await service(0).sweep(NOW);
      expect(results.find((r) => r.projectId === a.projectId)).toMatchObject({ days: 30, deleted: 4 - 1 });
      expect(results.map((r) => r.projectId)).not.toContain(b.projectId);
      expect(results.map((r) => r.projectId)).not.toContain(c.projectId);

      expect(await surviving(a)).toEqual({ ages: [0.5, 29, 30], spans: 0, scores: 0, kept_spans: 6, kept_scores: 3 });
      expect((await surviving(b)).ages).toEqual(AGES);
      expect((await surviving(c)).ages).toEqual(AGES);
    });

    it('server default 60 days: project b (no setting) follows it, c (0) keeps everything, a keeps its own 30', async () => {
      const results = await service(60).sweep(NOW);
      expect(results.find((r) => r.projectId === b.projectId)).toMatchObject({ days: 60, deleted: 1 });
      expect(results.find((r) => r.projectId === a.projectId)).toMatchObject({ days: 30, deleted: 0 });
      expect(results.map((r) => r.projectId)).not.toContain(c.projectId);

      expect((await surviving(a)).ages).toEqual([0.5, 29, 30]);
      expect(await surviving(b)).toEqual({
        ages: [0.5, 29, 30, 30.01, 45],
        spans: 0,
        scores: 0,
        kept_spans: 10,
        kept_scores: 5,
      });
      expect((await surviving(c)).ages).toEqual(AGES);
    });

    it('a second sweep at the same instant deletes nothing more', async () => {
      const results = await service(60).sweep(NOW);
      expect(results.reduce((n, r) => n + r.deleted, 0)).toBe(0);
    });

    it('skips rows another transaction holds (an ingest or a score insert) instead of waiting, and takes them later', async () => {
      const old = ids.get(c.projectId)!.get(400)!;
      await t.http
        .patch('/projects/current')
        .set(await owner(c))
        .send({ retention_days: 100 })
        .expect(200);
      const runner = t.dataSource.createQueryRunner();
      await runner.connect();
      try {
        await runner.startTransaction();
        // What a score insert's foreign-key check takes on its trace.
        await runner.query(`SELECT 1 FROM traces WHERE trace_id = $1 FOR KEY SHARE`, [old]);
        const during = await service(0).purge(c.projectId, new Date(NOW.getTime() - 100 * DAY));
        expect(during).toBe(0);
        await runner.commitTransaction();
      } finally {
        await runner.release();
      }
      expect(await service(0).purge(c.projectId, new Date(NOW.getTime() - 100 * DAY))).toBe(1);
      expect((await surviving(c)).ages).toEqual([0.5, 29, 30, 30.01, 45]);
    });
  });
});
