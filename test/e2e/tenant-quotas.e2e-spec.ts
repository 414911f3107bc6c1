import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { ConfigError, loadConfig } from '../../src/config/env';
import { MembershipRole } from '../../src/modules/auth/entities/membership.entity';
import { MonitorFiring } from '../../src/modules/monitors/monitor-firing';
import { OrgQuotaService } from '../../src/modules/quotas/org-quotas.service';
import { createMonitor, MONITORS, monitorBody } from '../factories/monitor.factory';
import { buildTrace, ingestTrace } from '../factories/trace.factory';
import { createMember, createTenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';
import { TEST_ENV } from '../support/test-env';

/**
 * Issue 22, findings 3-7: per-organization quotas (429 naming the quota, exact under concurrency),
 * the first monitor fire bounded, monitor fires contained, small doors closed, the ingestion queue
 * bounded.
 */
describe('per-organization quotas', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      QUOTA_PROJECTS_PER_ORG: '3',
      QUOTA_API_KEYS_PER_ORG: '2',
      QUOTA_MONITORS_PER_ORG: '4',
      QUOTA_RUNS_IN_FLIGHT_PER_ORG: '2',
      QUOTA_JUDGE_CALLS_PER_DAY: '10',
      QUOTA_JUDGE_TOKENS_PER_DAY: '1000',
      RATE_LIMIT_DEFAULT: '10000',
      RATE_LIMIT_EVAL_RUNS: '10000',
      PROJECTS_AUTO_CREATED_PER_HOUR: '100',
      RATE_LIMIT_INGEST: '10000',
    });
  });
  afterAll(() => t?.close());

  const expectQuota = (res: { status: number; body: { detail: string } }, variable: string) => {
    expect(res.status).toBe(429);
    expect(res.body.detail).toContain(`(${variable})`);
    expect(res.body.detail).toMatch(/^Quota exceeded: /);
  };

  it('projects: 8 concurrent creations and auto-created names stop at the quota, exactly', async () => {
    const tenant = await createTenant(t); // holds 1 project
    const owner = await createMember(t, tenant, MembershipRole.OWNER);
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        t.http
          .post(`/organizations/${tenant.orgId}/projects`)
          .set({ Authorization: owner.headers.Authorization })
          .send({ name: `p${i}` })
          .then((r) => r),
      ),
    );
    expect(answers.filter((r) => r.status === 201)).toHaveLength(2);
    for (const r of answers.filter((a) => a.status !== 201)) expectQuota(r, 'QUOTA_PROJECTS_PER_ORG');
    // Naming a new project with an API key meets the same quota.
    const named = await t.http.get('/projects/current').set({ ...tenant.headers, 'X-Project-Name': 'auto-one' });
    expectQuota(named, 'QUOTA_PROJECTS_PER_ORG');
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM projects WHERE org_id = $1`, [
      tenant.orgId,
    ]);
    expect(n).toBe(3);
  });

  it('API keys and monitors: concurrent creations stop at the quota', async () => {
    const tenant = await createTenant(t); // holds 1 key
    const owner = await createMember(t, tenant, MembershipRole.OWNER);
    const keys = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        t.http
          .post(`/organizations/${tenant.orgId}/api-keys`)
          .set({ Authorization: owner.headers.Authorization })
          .send({ name: `k${i}` })
          .then((r) => r),
      ),
    );
    expect(keys.filter((r) => r.status === 201)).toHaveLength(1);
    expectQuota(
      keys.find((r) => r.status !== 201)!,
      'QUOTA_API_KEYS_PER_ORG',
    );

    const monitors = await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        t.http
          .post(MONITORS)
          .set(tenant.headers)
          .send(monitorBody({ name: `m${i}`, cadence: 'every_1m' }))
          .then((r) => r),
      ),
    );
    expect(monitors.filter((r) => r.status === 201)).toHaveLength(4);
    expectQuota(
      monitors.find((r) => r.status !== 201)!,
      'QUOTA_MONITORS_PER_ORG',
    );
  });

  it('runs in flight: the third pending run of an organization is refused', async () => {
    const tenant = await createTenant(t);
    const trace = await ingestTrace(t, tenant);
    const runs = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.http
          .post('/evaluations/trace-runs/batch')
          .set(tenant.headers)
          .send({ trace_ids: [trace.trace_id], metrics: ['confidence'] })
          .then((r) => r),
      ),
    );
    expect(runs.filter((r) => r.status === 202)).toHaveLength(2);
    expectQuota(
      runs.find((r) => r.status !== 202)!,
      'QUOTA_RUNS_IN_FLIGHT_PER_ORG',
    );
  });

  it("a monitor's run counts in the runs in flight: a scheduled fire over the quota is a recorded skip, a trigger a 429", async () => {
    const tenant = await createTenant(t);
    const trace = await ingestTrace(t, tenant);
    const firing = t.app.get(MonitorFiring);
    const m = await createMonitor(t, tenant, { cadence: 'every_1h', scope: 'all', only_if_changed: false });
    const fire = async () => {
      await t.dataSource.query(`UPDATE eval_monitors SET next_run_at = now() - interval '1 second' WHERE id = $1`, [
        m.id,
      ]);
      return (await firing.tick(new Date())).find((r) => r.monitorId === m.id)!;
    };
    const runOf = () =>
      t.http
        .post('/evaluations/trace-runs/batch')
        .set(tenant.headers)
        .send({ trace_ids: [trace.trace_id], metrics: ['confidence'] })
        .then((r) => r);
    // No worker in this app: runs stay PENDING, so they stay in flight.
    expect((await runOf()).status).toBe(202);
    const first = await fire();
    expect(first.skipReason).toBeNull();
    expect(first.runId).toEqual(expect.any(String));
    // The monitor's run is the organization's second in flight: a run of its own is refused now.
    expectQuota(await runOf(), 'QUOTA_RUNS_IN_FLIGHT_PER_ORG');

    for (let i = 0; i < 3; i++) {
      const skipped = await fire();
      expect(skipped.runId).toBeNull();
      expect(skipped.skipReason).toMatch(
        /^Quota exceeded: .*\(QUOTA_RUNS_IN_FLIGHT_PER_ORG\)\. .* This slot was skipped\.$/,
      );
    }
    const [monitor] = await t.dataSource.query(`SELECT last_skip_reason FROM eval_monitors WHERE id = $1`, [m.id]);
    expect(monitor.last_skip_reason).toContain('QUOTA_RUNS_IN_FLIGHT_PER_ORG');
    const runs = await t.dataSource.query(`SELECT count(*)::int AS n FROM eval_runs WHERE monitor_id = $1`, [m.id]);
    expect(runs[0].n).toBe(1);
    expectQuota(await t.http.post(`${MONITORS}/${m.id}/trigger`).set(tenant.headers), 'QUOTA_RUNS_IN_FLIGHT_PER_ORG');

    // A run that finishes frees its place: the next slot fires.
    await t.dataSource.query(`UPDATE eval_runs SET status = 'COMPLETED' WHERE id = $1`, [first.runId]);
    expect((await fire()).runId).toEqual(expect.any(String));
  });

  it('judge calls per day hold under concurrency, reserved before each call; /usage can read every quota', async () => {
    const tenant = await createTenant(t);
    const quotas = t.app.get(OrgQuotaService);
    const judge = quotas.judgeQuotaOf(tenant.projectId);
    const outcomes = await Promise.allSettled(Array.from({ length: 40 }, () => judge.reserve()));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(10);
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason.message).toContain('(QUOTA_JUDGE_CALLS_PER_DAY)');
    expect(refused.reason.details.retryAfterSeconds).toBeGreaterThan(0);

    // Tokens: once the day's tokens are spent, the next call is refused.
    const other = await createTenant(t);
    const otherJudge = quotas.judgeQuotaOf(other.projectId);
    await otherJudge.reserve();
    await otherJudge.record(1000);
    await expect(otherJudge.reserve()).rejects.toThrow(/QUOTA_JUDGE_TOKENS_PER_DAY/);

    const report = Object.fromEntries((await quotas.report(tenant.orgId)).map((q) => [q.name, q]));
    expect(report.judgeCallsPerDay).toEqual({
      name: 'judgeCallsPerDay',
      variable: 'QUOTA_JUDGE_CALLS_PER_DAY',
      limit: 10,
      used: 10,
    });
    expect(report.projects).toMatchObject({ limit: 3, used: 1 });
    expect(Object.keys(report).sort()).toEqual(
      ['apiKeys', 'judgeCallsPerDay', 'judgeTokensPerDay', 'monitors', 'projects', 'runsInFlight'].sort(),
    );
  });

  it('judge call leases (a worker run): blocks never pass the calls quota across leases, unused calls go back', async () => {
    const tenant = await createTenant(t);
    const quotas = t.app.get(OrgQuotaService);
    const used = async () =>
      Object.fromEntries((await quotas.report(tenant.orgId)).map((q) => [q.name, q.used])) as Record<string, number>;
    const [a, b] = [quotas.judgeCallLeaseOf(tenant.projectId), quotas.judgeCallLeaseOf(tenant.projectId)];
    // The day has no tokens counted yet: one call, counted at once (no mean tokens per call to size a block by).
    await a.reserve();
    await a.record(10);
    expect(await used()).toMatchObject({ judgeCallsPerDay: 1, judgeTokensPerDay: 10 });
    // Now a block: all 9 calls left (9 × 2 × 10 tokens fit in 990), held by `a` until released.
    await a.reserve();
    expect((await used()).judgeCallsPerDay).toBe(10);
    await a.release();
    expect((await used()).judgeCallsPerDay).toBe(2);
    // Two leases (two workers) racing for the 8 calls left: exactly 8 start.
    const outcomes = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).reserve()));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(8);
    expect((outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult).reason.message).toContain(
      '(QUOTA_JUDGE_CALLS_PER_DAY)',
    );
    await Promise.all([a.release(), b.release()]);
    expect((await used()).judgeCallsPerDay).toBe(10);
  });

  it('a reserved call not made goes back: held again by its lease, or to its day once the lease gave its calls back', async () => {
    const tenant = await createTenant(t);
    const quotas = t.app.get(OrgQuotaService);
    const used = async () =>
      (await quotas.report(tenant.orgId)).find((q) => q.name === 'judgeCallsPerDay')!.used;
    const lease = quotas.judgeCallLeaseOf(tenant.projectId);
    await (await lease.reserve())(); // first call: a block of one (no tokens counted yet)
    await lease.release();
    expect(await used()).toBe(0);
    const giveBack = await lease.reserve();
    await lease.release(); // the lease gives back its block but this call, which is under way
    expect(await used()).toBe(1);
    await giveBack(); // not made after all: straight back to the day
    expect(await used()).toBe(0);
    // The per-call accounting (a preview) gives back to the day at once.
    const single = quotas.judgeQuotaOf(tenant.projectId);
    const back = await single.reserve();
    expect(await used()).toBe(1);
    await back();
    expect(await used()).toBe(0);
  });

  it('give-backs under concurrency: two leases and per-call reservations racing, the day never holds more than its quota', async () => {
    const tenant = await createTenant(t);
    const quotas = t.app.get(OrgQuotaService);
    const used = async () =>
      (await quotas.report(tenant.orgId)).find((q) => q.name === 'judgeCallsPerDay')!.used;
    const [a, b] = [quotas.judgeCallLeaseOf(tenant.projectId), quotas.judgeCallLeaseOf(tenant.projectId)];
    const takers = [a, b, quotas.judgeQuotaOf(tenant.projectId)];
    // Every other granted call is not made after all (a cache hit) and goes back at once.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 60 }, async (_, i) => {
        const giveBack = await takers[i % 3].reserve();
        if (i % 2 === 0) {
          await giveBack();
          return 'given back';
        }
        return 'kept';
      }),
    );
    const kept = outcomes.filter((o) => o.status === 'fulfilled' && o.value === 'kept').length;
    for (const o of outcomes.filter((x) => x.status === 'rejected'))
      expect((o as PromiseRejectedResult).reason.message).toContain('(QUOTA_JUDGE_CALLS_PER_DAY)');
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(10);
    await Promise.all([a.release(), b.release()]);
    // What the day counts is exactly the calls kept: none lost, none counted twice.
    expect(await used()).toBe(kept);
  });

  it('judge call leases near the tokens quota: one call at a time, counted at once, none after it is spent', async () => {
    const tenant = await createTenant(t);
    const quotas = t.app.get(OrgQuotaService);
    const lease = quotas.judgeCallLeaseOf(tenant.projectId);
    for (let i = 0; i < 3; i++) {
      await lease.reserve();
      await lease.record(400);
    }
    await expect(lease.reserve()).rejects.toThrow(/QUOTA_JUDGE_TOKENS_PER_DAY/);
    await lease.release();
    const report = Object.fromEntries((await quotas.report(tenant.orgId)).map((q) => [q.name, q.used]));
    expect(report).toMatchObject({ judgeCallsPerDay: 3, judgeTokensPerDay: 1200 });
  });
});

describe('monitors: a flood stays in its tenant', () => {
  let t: TestApp;
  let firing: MonitorFiring;
  beforeAll(async () => {
    t = await createTestApp({ QUOTA_MONITORS_PER_ORG: '25', RATE_LIMIT_INGEST: '10000', RATE_LIMIT_DEFAULT: '10000' });
    firing = t.app.get(MonitorFiring);
  });
  afterAll(() => t?.close());

  it("a tenant's flood of monitors stops at its quota, and the victim's monitor fires in its slot", async () => {
    const [attacker, victim] = [await createTenant(t), await createTenant(t)];
    await ingestTrace(t, attacker);
    await ingestTrace(t, victim);
    let refused;
    for (let i = 0; i < 40 && !refused; i++) {
      const res = await t.http
        .post(MONITORS)
        .set(attacker.headers)
        .send(monitorBody({ name: `f${i}`, cadence: 'every_1m' }));
      if (res.status === 429) refused = res;
    }
    expect(refused?.body.detail).toContain('QUOTA_MONITORS_PER_ORG');
    const mine = await createMonitor(t, victim, { cadence: 'every_1m' });
    // The attacker's monitors were created first and are due in the same slot as the victim's.
    const slot = new Date(Date.parse(mine.next_run_at));
    const results = await firing.tick(new Date(slot.getTime() + 1000));
    const victimFire = results.find((r) => r.monitorId === mine.id);
    expect(victimFire?.runId).toEqual(expect.any(String));
  });

  it('a cadence that throws years later is refused at creation', async () => {
    const tenant = await createTenant(t);
    const res = await t.http
      .post(MONITORS)
      .set(tenant.headers)
      .send(monitorBody({ cadence: 'cron:0 0 28-31/3 2 0#5' }))
      .expect(422);
    expect(res.body.errors[0].field).toBe('cadence');
    expect(res.body.errors[0].message).toMatch(/fails within 10 years of slots/);
  });

  it("an error in one monitor's fire (a stored cadence that throws) pauses it and stops no other", async () => {
    const [broken, fine] = [await createTenant(t), await createTenant(t)];
    await ingestTrace(t, fine);
    const bad = await createMonitor(t, broken, { cadence: 'every_1m' });
    const good = await createMonitor(t, fine, { cadence: 'every_1m' });
    // As if stored by an older release: the cadence throws when the scheduler computes the next slot.
    await t.dataSource.query(
      `UPDATE eval_monitors SET cadence = 'cron:0 0 28-31/3 2 0#5', next_run_at = now() - interval '1 minute' WHERE id = $1`,
      [bad.id],
    );
    // After its only slot (2032-02-29) the expression throws: a tick at that time meets the error.
    const results = await firing.tick(new Date('2032-03-01T00:00:00Z'));
    expect(results.find((r) => r.monitorId === good.id)?.runId).toEqual(expect.any(String));
    const [row] = await t.dataSource.query(
      `SELECT status, next_run_at, last_skip_reason FROM eval_monitors WHERE id = $1`,
      [bad.id],
    );
    expect(row).toMatchObject({ status: 'PAUSED', next_run_at: null });
    expect(row.last_skip_reason).toMatch(/has no next slot/);
  });

  it('a first fire takes MONITOR_FIRST_FIRE_WINDOW_MS of history, unless filters.date_from asks for more', async () => {
    const tenant = await createTenant(t);
    const old = await ingestTrace(t, tenant);
    const recent = await ingestTrace(t, tenant);
    // The old trace was ingested (and last changed) three days ago.
    await t.dataSource.query(
      `UPDATE traces SET created_at = now() - interval '3 days', updated_at = now() - interval '3 days' WHERE trace_id = $1`,
      [old.trace_id],
    );
    const bounded = await createMonitor(t, tenant, { name: 'bounded', cadence: 'every_1m' });
    const backfill = await createMonitor(t, tenant, {
      name: 'backfill',
      cadence: 'every_1m',
      filters: { date_from: '2000-01-01T00:00:00Z' },
    });
    const results = await firing.tick(new Date(Date.parse(bounded.next_run_at) + 1000));
    const taken = async (monitorId: string) => {
      const runId = results.find((r) => r.monitorId === monitorId)!.runId;
      const rows = await t.dataSource.query(`SELECT trace_id FROM eval_run_items WHERE run_id = $1`, [runId]);
      return rows.map((r: { trace_id: string }) => r.trace_id).sort();
    };
    expect(await taken(bounded.id)).toEqual([recent.trace_id]);
    expect(await taken(backfill.id)).toEqual([old.trace_id, recent.trace_id].sort());
  });
});

describe('small doors', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      AUTH_FAILURES_PER_IP: '5',
      RATE_LIMIT_INGEST: '10000',
      CORS_ORIGINS: 'https://app.example.com',
      ADMIN_TOKEN: 'small-doors-admin-token-for-tests-0123456789',
    });
  });
  afterAll(() => t?.close());

  it("another tenant's trace id is a 409 that does not say another project holds it", async () => {
    const [a, b] = [await createTenant(t), await createTenant(t)];
    const trace = await ingestTrace(t, a);
    const res = await t.http
      .post('/traces')
      .set(b.headers)
      .send(buildTrace({ trace_id: trace.trace_id }))
      .expect(409);
    expect(res.body.detail).toBe(`Trace id ${trace.trace_id} cannot be used; send a new trace id.`);
    expect(res.body.detail).not.toMatch(/project/i);
  });

  it('operator paths get no CORS headers whatever their case', async () => {
    for (const path of ['/ADMIN/queues/api/queues', '/Metrics', '/admin/queues']) {
      const res = await t.http.get(path).set('Origin', 'https://app.example.com');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('signal_weights keys outside the signals (constructor, toString) are refused with 422', async () => {
    const tenant = await createTenant(t);
    for (const key of ['constructor', 'toString']) {
      const res = await t.http
        .post(MONITORS)
        .set(tenant.headers)
        .send(monitorBody({ target_type: 'SESSION', metrics: ['agent_reliability'], signal_weights: { [key]: 1 } }));
      expect(res.status).toBe(422);
    }
  });

  it('bogus keys from one address meet a 429 after AUTH_FAILURES_PER_IP failures, before any lookup', async () => {
    const bogus = () => `sk_pp_${randomUUID().replace(/-/g, '')}${randomUUID().replace(/-/g, '')}`;
    for (let i = 0; i < 5; i++) {
      await t.http.get('/traces').set({ 'X-API-Key': bogus(), 'X-Project-Name': 'p' }).expect(401);
    }
    const refused = await t.http.get('/traces').set({ 'X-API-Key': bogus(), 'X-Project-Name': 'p' }).expect(429);
    expect(refused.body.detail).toMatch(/AUTH_FAILURES_PER_IP/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('the ingestion queue is bounded', () => {
  it('a stalled database fills INGEST_QUEUE_MAX_BYTES, then new traces get 503 with Retry-After', async () => {
    const t = await createTestApp({
      INGEST_QUEUE_MAX_BYTES: String(64 * 1024),
      RATE_LIMIT_INGEST: '10000',
      RATE_LIMIT_INGEST_BURST: '10000',
      DATABASE_LOCK_TIMEOUT_MS: '30000',
    });
    const holder = new Client({ connectionString: TEST_ENV.DATABASE_URL });
    await holder.connect();
    try {
      const tenant = await createTenant(t);
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE traces IN EXCLUSIVE MODE'); // inserts wait: the database is stalled
      const pending = Array.from({ length: 20 }, () =>
        t.http
          .post('/traces')
          .set(tenant.headers)
          .send(buildTrace({ metadata: { blob: 'x'.repeat(10 * 1024) } }))
          .then((r) => r),
      );
      await new Promise((r) => setTimeout(r, 1000));
      await holder.query('COMMIT');
      const answers = await Promise.all(pending);
      const refused = answers.filter((r) => r.status === 503);
      expect(refused.length).toBeGreaterThan(0);
      expect(answers.filter((r) => r.status === 202).length).toBeGreaterThan(0);
      expect(answers.every((r) => r.status === 202 || r.status === 503)).toBe(true);
      expect(refused[0].headers['retry-after']).toBe('1');
      expect(refused[0].body.detail).toMatch(/INGEST_QUEUE_MAX_BYTES/);
    } finally {
      await holder.end();
      await t.close();
    }
  });
});

describe('production secrets', () => {
  const production = (secret: string) => () =>
    loadConfig({ NODE_ENV: 'production', JWT_SECRET: secret, DATABASE_URL: TEST_ENV.DATABASE_URL });

  it('refuses secrets published in bench/ and low-entropy ones', () => {
    expect(production('sessions-bench-secret-sessions-bench')).toThrow(ConfigError);
    expect(production('a'.repeat(36))).toThrow(/fewer than 10 distinct characters/);
    expect(production('0123456789abcdef0123456789abcdef0123456789abcdef')).not.toThrow();
  });
});
