import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { FaultInjector } from '../../src/common/faults/fault-injector';
import { MONITOR_FAULTS } from '../../src/modules/monitors/monitor-clock';
import { MonitorFiring, type FireResult } from '../../src/modules/monitors/monitor-firing';
import { evalRunTestEnv, runTraceIds, waitForRun, waitUntil } from '../factories/eval-run.factory';
import { createMonitor, MONITORS } from '../factories/monitor.factory';
import { expectedSessionScores, ingestSession, runSessionIds, SESSION_RUNS } from '../factories/session-run.factory';
import { at, ingestTrace } from '../factories/trace.factory';
import { JudgeServer, startJudgeServer } from '../support/judge-server';
import { sample } from '../support/prom-sample';
import { createTenant, Tenant } from '../support/tenancy';
import { TEST_ENV } from '../support/test-env';
import { createTestApp, TestApp } from '../support/test-app';
import { formatTimestamp } from '../../src/common/timestamps';

const HOUR = 3_600_000;

/**
 * The scheduler driven by injected clocks (no timers, no sleeps): MonitorFiring.tick(now, dataSource)
 * is what every worker's timer calls. Several schedulers on their own connection pools race for
 * the same due monitors like worker processes do.
 */
describe('monitor scheduler (injected clocks, real PostgreSQL and Redis)', () => {
  let judge: JudgeServer;
  let t: TestApp;
  let firing: MonitorFiring;
  /** Extra connection pools: each is a scheduler instance of its own. */
  const pools: DataSource[] = [];

  beforeAll(async () => {
    judge = await startJudgeServer();
    t = await createTestApp(
      evalRunTestEnv(judge.baseUrl, 'msch', { RUN_WORKER_IN_PROCESS: 'true', MONITOR_SCHEDULER_ENABLED: 'false' }),
    );
    firing = t.app.get(MonitorFiring);
    for (let i = 0; i < 3; i++) {
      const ds = new DataSource({ ...(t.dataSource.options as any), poolSize: 3 });
      pools.push(await ds.initialize());
    }
  });

  afterAll(async () => {
    for (const ds of pools) await ds.destroy();
    await t?.close();
    await judge?.close();
  });

  beforeEach(() => judge.reset());

  const get = async (tenant: Tenant, id: string) =>
    (await t.http.get(`${MONITORS}/${id}`).set(tenant.headers).expect(200)).body;
  const runsOf = async (monitorId: string): Promise<string[]> =>
    (
      await t.dataSource.query(`SELECT id FROM eval_runs WHERE monitor_id = $1 ORDER BY created_at, id`, [monitorId])
    ).map((r: { id: string }) => r.id);
  const only = (results: FireResult[], ids: string[]) => results.filter((r) => ids.includes(r.monitorId));
  const anchorOf = async (id: string): Promise<number> => {
    const [row] = await t.dataSource.query(`SELECT schedule_anchor FROM eval_monitors WHERE id = $1`, [id]);
    return new Date(row.schedule_anchor).getTime();
  };
  /** Makes a monitor due now (and its anchor an hour ago), for tests that read the real day. */
  const makeDue = (id: string) =>
    t.dataSource.query(
      `UPDATE eval_monitors SET next_run_at = now() - interval '1 second', schedule_anchor = now() - interval '1 hour' WHERE id = $1`,
      [id],
    );
  /**
   * Pauses every other monitor of the run's database (earlier tests' and specs'): a tick fires every
   * due monitor, and the fire counters count them all. A monitor stopped by its per-day cap, for one,
   * fires again in a slot of the next UTC day: the counters of a test run near midnight saw it.
   */
  const onlyActive = (ids: string[]) =>
    t.dataSource.query(
      `UPDATE eval_monitors SET status = 'PAUSED', next_run_at = NULL WHERE status = 'ACTIVE' AND NOT (id = ANY($1::uuid[]))`,
      [ids],
    );
  const tenantWithTraces = async (n: number) => {
    const tenant = await createTenant(t);
    for (let i = 0; i < n; i++) await ingestTrace(t, tenant, { name: `t${i}`, started_at: at(i * 1000) });
    return tenant;
  };

  it('three schedulers on separate connections racing for six due monitors fire each slot exactly once', async () => {
    const a = await tenantWithTraces(2);
    const monitors = [];
    for (let i = 0; i < 6; i++) {
      monitors.push(
        await createMonitor(t, a, { name: `race-${i}`, cadence: 'every_1h', scope: 'all', only_if_changed: false }),
      );
    }
    const ids = monitors.map((m) => m.id as string);
    const anchors = new Map<string, number>();
    for (const id of ids) anchors.set(id, await anchorOf(id));
    const latest = Math.max(...anchors.values());

    for (const [k, now] of [
      [1, new Date(latest + HOUR + 1000)],
      [2, new Date(latest + 2 * HOUR + 1000)],
    ] as const) {
      const raced = (await Promise.all(pools.map((ds) => firing.tick(now, ds)))).flat();
      const fired = only(raced, ids);
      expect(fired.map((r) => r.monitorId).sort()).toEqual([...ids].sort());
      for (const r of fired) {
        // The slot is the k-th of the anchor's grid; the next one follows it (no drift from the tick time).
        expect(r.slot.getTime()).toBe(anchors.get(r.monitorId)! + k * HOUR);
        expect(r.nextRunAt!.getTime()).toBe(anchors.get(r.monitorId)! + (k + 1) * HOUR);
        expect(r.runId).not.toBeNull();
      }
      // The same instant again, on every scheduler: nothing is due any more.
      const again = (await Promise.all(pools.map((ds) => firing.tick(now, ds)))).flat();
      expect(only(again, ids)).toEqual([]);
      for (const id of ids) expect(await runsOf(id)).toHaveLength(k);
    }
    for (const id of ids) for (const runId of await runsOf(id)) await waitForRun(t, a, runId);
  }, 60_000);

  it('after a downtime of ten slots: one catch-up run, then the next slot in the future', async () => {
    const a = await tenantWithTraces(1);
    const m = await createMonitor(t, a, { cadence: 'every_1h', scope: 'all', only_if_changed: false });
    const anchor = await anchorOf(m.id);
    const now = new Date(anchor + 10.5 * HOUR);
    const results = only(await firing.tick(now, pools[0]), [m.id]);
    expect(results).toHaveLength(1);
    expect(results[0].slot.getTime()).toBe(anchor + HOUR);
    expect(results[0].nextRunAt!.getTime()).toBe(anchor + 11 * HOUR);
    expect(only(await firing.tick(now, pools[1]), [m.id])).toEqual([]);
    expect(await runsOf(m.id)).toHaveLength(1);
    expect((await get(a, m.id)).next_run_at).toBe(formatTimestamp(new Date(anchor + 11 * HOUR)));
    await waitForRun(t, a, (await runsOf(m.id))[0]);
  });

  it("scope 'new': each fire takes only traces ingested since the last one, late old-timestamped ones included; never a trace twice", async () => {
    const a = await createTenant(t);
    const A = await ingestTrace(t, a, { name: 'A', started_at: '2026-01-10T10:00:00Z' });
    const B = await ingestTrace(t, a, { name: 'B', started_at: '2026-01-10T11:00:00Z' });
    const m = await createMonitor(t, a, { cadence: 'every_1h', metrics: ['confidence', 'plan_quality'] });
    const anchor = await anchorOf(m.id);
    const slot = (k: number) => new Date(anchor + k * HOUR + 1000);

    const first = only(await firing.tick(slot(1)), [m.id]);
    expect(first[0].runId).not.toBeNull();
    await waitForRun(t, a, first[0].runId!);
    expect(await runTraceIds(t.dataSource, first[0].runId!)).toEqual([A.trace_id, B.trace_id].sort());

    // Arrives late with a timestamp years old (the original, keyed on started_at, never sees it), and a fresh one.
    const C = await ingestTrace(t, a, { name: 'C', started_at: '2020-01-01T00:00:00Z' });
    const D = await ingestTrace(t, a, { name: 'D', started_at: new Date().toISOString() });
    const second = only(await firing.tick(slot(2)), [m.id]);
    expect(second[0].runId).not.toBeNull();
    await waitForRun(t, a, second[0].runId!);
    expect(await runTraceIds(t.dataSource, second[0].runId!)).toEqual([C.trace_id, D.trace_id].sort());

    // Nothing new: no run, and the monitor says why.
    const third = only(await firing.tick(slot(3)), [m.id]);
    expect(third[0]).toMatchObject({ runId: null });
    expect(third[0].skipReason).toMatch(/^No matching trace was ingested since the watermark/);
    const after = await get(a, m.id);
    expect(after.last_skip_reason).toBe(third[0].skipReason);
    expect(after.last_skipped_at).toBe(formatTimestamp(slot(3)));
    expect(after.run_totals).toMatchObject({ runs: 2, completed: 2, targets: 4 });
    const [{ newest }] = await t.dataSource.query(
      `SELECT max(created_at) AS newest FROM traces WHERE project_id = $1`,
      [a.projectId],
    );
    expect(after.watermark).toBe(formatTimestamp(new Date(newest)));

    // One score per trace and metric across the monitor's runs.
    const perTrace: Array<{ trace_id: string; name: string; n: number }> = await t.dataSource.query(
      `SELECT s.trace_id, s.name, count(*)::int AS n FROM trace_scores s JOIN eval_runs r ON r.id = s.eval_run_id
       WHERE r.monitor_id = $1 GROUP BY s.trace_id, s.name`,
      [m.id],
    );
    expect(perTrace).toHaveLength(4 * 2);
    expect(perTrace.every((r) => r.n === 1)).toBe(true);
  }, 60_000);

  it("scope 'all' with only_if_changed: skips a slot with nothing new, then re-evaluates everything", async () => {
    const a = await tenantWithTraces(2);
    const m = await createMonitor(t, a, { cadence: 'every_1h', scope: 'all' });
    const anchor = await anchorOf(m.id);
    const slot = (k: number) => new Date(anchor + k * HOUR + 1000);
    const first = only(await firing.tick(slot(1)), [m.id])[0];
    await waitForRun(t, a, first.runId!);
    const second = only(await firing.tick(slot(2)), [m.id])[0];
    expect(second.runId).toBeNull();
    expect(second.skipReason).toMatch(/^only_if_changed/);
    await ingestTrace(t, a, { name: 'late' });
    const third = only(await firing.tick(slot(3)), [m.id])[0];
    expect(await runTraceIds(t.dataSource, third.runId!)).toHaveLength(3);
    await waitForRun(t, a, third.runId!);
  });

  it('a monitor paused while a tick is due never fires (its row is locked, then PAUSED)', async () => {
    const a = await tenantWithTraces(1);
    const m = await createMonitor(t, a, { cadence: 'every_1h', scope: 'all', only_if_changed: false });
    const now = new Date((await anchorOf(m.id)) + HOUR + 1000);
    const pauser = new Client({ connectionString: TEST_ENV.DATABASE_URL });
    await pauser.connect();
    try {
      await pauser.query('BEGIN');
      await pauser.query(`UPDATE eval_monitors SET status = 'PAUSED', next_run_at = NULL WHERE id = $1`, [m.id]);
      // The pause is in flight: a tick skips the locked row instead of waiting for it or firing it.
      expect(only(await firing.tick(now, pools[0]), [m.id])).toEqual([]);
      await pauser.query('COMMIT');
    } finally {
      await pauser.end();
    }
    expect(only(await firing.tick(now, pools[1]), [m.id])).toEqual([]);
    expect(await runsOf(m.id)).toEqual([]);
    expect((await get(a, m.id)).status).toBe('PAUSED');
  });

  it('a pause sent while a fire holds the monitor lands after it: one run, then PAUSED, and no further fire', async () => {
    const a = await tenantWithTraces(1);
    const m = await createMonitor(t, a, { cadence: 'every_1h', scope: 'all', only_if_changed: false });
    const anchor = await anchorOf(m.id);
    const waiting = async (like: string) => {
      const rows = await t.dataSource.query(
        `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`,
        [like],
      );
      return rows.length > 0;
    };
    // Holds the fire inside its transaction (its run insert waits on this lock) after it has claimed the monitor.
    const blocker = new Client({ connectionString: TEST_ENV.DATABASE_URL });
    await blocker.connect();
    let tick: Promise<FireResult[]>;
    let pause: Promise<{ body: any }>;
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE eval_runs IN EXCLUSIVE MODE');
      tick = firing.tick(new Date(anchor + HOUR + 1000), pools[0]);
      await waitUntil(() => waiting('%INSERT INTO eval_runs%'), 'the fire to wait inside its transaction');
      pause = t.http
        .post(`${MONITORS}/${m.id}/pause`)
        .set(a.headers)
        .then((r) => r);
      // (pg_stat_activity keeps only the start of a long query: the pause's row-locking read of the monitor.)
      await waitUntil(() => waiting('SELECT "m"."id" AS "m_id"%'), 'the pause to queue behind the fire');
    } finally {
      // Released whatever happens, so a failure cannot leave the table locked for the rest of the suite.
      await blocker.query('COMMIT');
      await blocker.end();
    }
    const fired = only(await tick, [m.id]);
    expect(fired).toHaveLength(1);
    expect(fired[0].runId).not.toBeNull();
    expect((await pause).body).toMatchObject({ status: 'PAUSED', next_run_at: null });
    expect(only(await firing.tick(new Date(anchor + 5 * HOUR)), [m.id])).toEqual([]);
    expect(await runsOf(m.id)).toEqual([fired[0].runId]);
    await waitForRun(t, a, fired[0].runId!);
  });

  it('a fire that fails before its commit leaves no run and the slot due; the next tick fires it once', async () => {
    const a = await tenantWithTraces(1);
    const m = await createMonitor(t, a, { cadence: 'every_1h', scope: 'all', only_if_changed: false });
    const now = new Date((await anchorOf(m.id)) + HOUR + 1000);
    const faults = t.app.get<FaultInjector>(MONITOR_FAULTS, { strict: false });
    faults.arm('monitor_fire');
    try {
      await expect(firing.tick(now)).rejects.toThrow('injected fault at monitor_fire');
    } finally {
      faults.reset();
    }
    expect(await runsOf(m.id)).toEqual([]);
    expect((await get(a, m.id)).next_run_at).toBe(formatTimestamp(new Date((await anchorOf(m.id)) + HOUR)));
    const [again] = only(await firing.tick(now), [m.id]);
    expect(await runsOf(m.id)).toEqual([again.runId]);
    await waitForRun(t, a, again.runId!);
  });

  describe('SESSION monitors', () => {
    const sessionRun = (tenant: Tenant, id: string) => waitForRun(t, tenant, id, { base: SESSION_RUNS });
    /** Session scores of the monitor's runs, per (session, metric). */
    const scoresPerSession = async (monitorId: string): Promise<Record<string, number>> => {
      const rows: Array<{ session_id: string; name: string; n: number }> = await t.dataSource.query(
        `SELECT s.session_id, s.name, count(*)::int AS n FROM session_scores s JOIN eval_runs r ON r.id = s.eval_run_id
         WHERE r.monitor_id = $1 GROUP BY s.session_id, s.name`,
        [monitorId],
      );
      return Object.fromEntries(rows.map((r) => [`${r.session_id}/${r.name}`, r.n]));
    };

    it("fires on schedule and scores sessions; scope 'new' takes only the sessions that got traces since the last fire, late old-timestamped ones included", async () => {
      const a = await createTenant(t);
      await ingestSession(t, a, 's1', 2, () => ({ user_id: 'u1' }));
      await ingestSession(t, a, 's2', 1, () => ({ user_id: 'u1' }));
      await ingestSession(t, a, 's3', 1, () => ({ user_id: 'u2' }));
      await ingestTrace(t, a, { name: 'no session' });
      const m = await createMonitor(t, a, {
        target_type: 'SESSION',
        metrics: ['agent_reliability', 'agent_consistency'],
        cadence: 'every_1h',
        filters: { user_id: 'u1' },
        signal_weights: { confidence: 2 },
      });
      const anchor = await anchorOf(m.id);
      const slot = (k: number) => new Date(anchor + k * HOUR + 1000);
      await onlyActive([m.id]);
      const before = (await t.http.get('/metrics').expect(200)).text;

      const [first] = only(await firing.tick(slot(1)), [m.id]);
      expect(first.slot.getTime()).toBe(anchor + HOUR);
      const run1 = await sessionRun(a, first.runId!);
      expect(run1).toMatchObject({
        target_type: 'SESSION',
        monitor_id: m.id,
        name: '[Monitor] nightly',
        status: 'COMPLETED',
        filters: { user_id: 'u1', signal_weights: { confidence: 2 } },
      });
      expect(await runSessionIds(t.dataSource, first.runId!)).toEqual(['s1', 's2']);
      // The scores are the session metrics of the monitor's weights.
      const [s1score] = await t.dataSource.query(
        `SELECT value FROM session_scores WHERE eval_run_id = $1 AND session_id = 's1' AND name = 'agent_reliability'`,
        [first.runId],
      );
      const expected = await expectedSessionScores(t.dataSource, a.projectId, first.runId!, 's1', { confidence: 2 });
      expect(Number(s1score.value)).toBeCloseTo(expected.agent_reliability, 6);

      // s1 gets a late trace with a timestamp years old, s4 is new; s2 is unchanged, s3 does not match.
      const late = await ingestTrace(t, a, {
        name: 'late',
        session_id: 's1',
        user_id: 'u1',
        started_at: '2020-01-01T00:00:00Z',
      });
      const [s4] = await ingestSession(t, a, 's4', 1, () => ({ user_id: 'u1' }));
      await ingestTrace(t, a, { name: 'other user', session_id: 's3', user_id: 'u2' });
      const [second] = only(await firing.tick(slot(2)), [m.id]);
      await sessionRun(a, second.runId!);
      expect(await runSessionIds(t.dataSource, second.runId!)).toEqual(['s1', 's4']);
      // Only the new traces were judged for their signals: s1's earlier traces' signals were reused.
      const judged = await t.dataSource.query(
        `SELECT DISTINCT trace_id FROM trace_scores WHERE eval_run_id = $1 ORDER BY trace_id`,
        [second.runId],
      );
      expect(judged.map((r: { trace_id: string }) => r.trace_id)).toEqual([late.trace_id, s4.trace_id].sort());

      const [third] = only(await firing.tick(slot(3)), [m.id]);
      expect(third.runId).toBeNull();
      expect(third.skipReason).toMatch(/^No matching session got a trace ingested since the watermark/);

      // s1 twice (its content changed), the others once; every metric alike.
      const per = await scoresPerSession(m.id);
      for (const metric of ['agent_reliability', 'agent_consistency']) {
        expect([per[`s1/${metric}`], per[`s2/${metric}`], per[`s3/${metric}`], per[`s4/${metric}`]]).toEqual([
          2,
          1,
          undefined,
          1,
        ]);
      }
      const after = await get(a, m.id);
      expect(after.run_totals).toMatchObject({ runs: 2, completed: 2, targets: 4 });
      expect(after.last_skip_reason).toBe(third.skipReason);
      const [{ newest }] = await t.dataSource.query(
        `SELECT max(created_at) AS newest FROM traces WHERE project_id = $1 AND user_id = 'u1'`,
        [a.projectId],
      );
      expect(after.watermark).toBe(formatTimestamp(new Date(newest)));

      const text = (await t.http.get('/metrics').expect(200)).text;
      const delta = (name: string, labels: Record<string, string>) =>
        (sample(text, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
      expect(delta('pandaprobe_eval_monitor_fires_total', { trigger: 'scheduled', target_type: 'SESSION' })).toBe(2);
      expect(delta('pandaprobe_eval_monitor_skips_total', { reason: 'nothing_new' })).toBeGreaterThanOrEqual(1);
    }, 90_000);

    it("a trace committed late (ingested before the session's newest, visible after the fire) makes its session new again", async () => {
      const a = await createTenant(t);
      await ingestSession(t, a, 'k1', 2);
      await ingestSession(t, a, 'k2', 1);
      const m = await createMonitor(t, a, {
        target_type: 'SESSION',
        metrics: ['agent_reliability'],
        cadence: 'every_1h',
      });
      const anchor = await anchorOf(m.id);
      const [first] = only(await firing.tick(new Date(anchor + HOUR + 1000)), [m.id]);
      await sessionRun(a, first.runId!);
      expect(await runSessionIds(t.dataSource, first.runId!)).toEqual(['k1', 'k2']);
      // A third trace of k1 whose ingestion began before k1's newest one but committed after the fire:
      // its created_at is older than the session's newest (and the watermark), within the grace.
      const late = await ingestTrace(t, a, { name: 'late commit', session_id: 'k1' });
      await t.dataSource.query(
        `UPDATE traces SET created_at = (SELECT min(created_at) FROM traces WHERE project_id = $1 AND session_id = 'k1')
         WHERE trace_id = $2`,
        [a.projectId, late.trace_id],
      );
      const [second] = only(await firing.tick(new Date(anchor + 2 * HOUR + 1000)), [m.id]);
      expect(second.runId).not.toBeNull();
      await sessionRun(a, second.runId!);
      expect(await runSessionIds(t.dataSource, second.runId!)).toEqual(['k1']);
      const [item] = await t.dataSource.query(`SELECT session_trace_count FROM eval_run_items WHERE run_id = $1`, [
        second.runId,
      ]);
      expect(item.session_trace_count).toBe(3);
    }, 60_000);

    it("scope 'all': every fire re-evaluates every matching session; only_if_changed skips a slot with nothing new", async () => {
      const a = await createTenant(t);
      await ingestSession(t, a, 'x1', 1);
      await ingestSession(t, a, 'x2', 2);
      const m = await createMonitor(t, a, {
        target_type: 'SESSION',
        metrics: ['agent_consistency'],
        cadence: 'every_1h',
        scope: 'all',
        filters: { min_trace_count: 2 },
      });
      const anchor = await anchorOf(m.id);
      const slot = (k: number) => new Date(anchor + k * HOUR + 1000);
      const [first] = only(await firing.tick(slot(1)), [m.id]);
      await sessionRun(a, first.runId!);
      expect(await runSessionIds(t.dataSource, first.runId!)).toEqual(['x2']);
      const [second] = only(await firing.tick(slot(2)), [m.id]);
      expect(second.skipReason).toMatch(/^only_if_changed/);
      await ingestSession(t, a, 'x1', 1, undefined, '2026-02-02T00:00:00Z');
      const [third] = only(await firing.tick(slot(3)), [m.id]);
      await sessionRun(a, third.runId!);
      expect(await runSessionIds(t.dataSource, third.runId!)).toEqual(['x1', 'x2']);
    }, 60_000);

    it('a PAUSED SESSION monitor never fires', async () => {
      const a = await createTenant(t);
      await ingestSession(t, a, 'p1', 1);
      const m = await createMonitor(t, a, {
        target_type: 'SESSION',
        metrics: ['agent_reliability'],
        cadence: 'every_1h',
      });
      await t.http.post(`${MONITORS}/${m.id}/pause`).set(a.headers).expect(200);
      const anchor = await anchorOf(m.id);
      for (const k of [1, 2, 5])
        expect(only(await firing.tick(new Date(anchor + k * HOUR + 1000)), [m.id])).toEqual([]);
      expect(await runsOf(m.id)).toEqual([]);
      expect((await get(a, m.id)).status).toBe('PAUSED');
    });
  });

  it('per-day cap: the run gets what is left as its budget, stops on it, and the next slot is skipped', async () => {
    judge.setLatency(30);
    const a = await tenantWithTraces(10);
    const m = await createMonitor(t, a, {
      cadence: 'every_1h',
      scope: 'all',
      only_if_changed: false,
      max_judge_calls_per_day: 2,
    });
    await makeDue(m.id);
    const [first] = only(await firing.tick(new Date()), [m.id]);
    const run = await waitForRun(t, a, first.runId!);
    expect(run.max_judge_calls).toBe(2);
    expect(run.status).toBe('FAILED');
    expect(run.error_message).toMatch(/^Judge call budget reached/);
    expect((await get(a, m.id)).run_totals).toMatchObject({ runs: 1, failed: 1, budget_stopped: 1 });
    await makeDue(m.id);
    const [second] = only(await firing.tick(new Date()), [m.id]);
    expect(second.runId).toBeNull();
    expect(second.skipReason).toMatch(/^Daily judge-call cap reached/);
  }, 60_000);

  it('a failing fire consumes its slot and is counted; /metrics shows fires, skips and failures', async () => {
    const a = await tenantWithTraces(1);
    const ok = await createMonitor(t, a, { cadence: 'every_1h', scope: 'all', only_if_changed: false });
    const broken = await createMonitor(t, a, { cadence: 'every_1h' });
    // A model whose provider has no credentials (the API refuses it; configuration can change under a monitor).
    await t.dataSource.query(`UPDATE eval_monitors SET model = 'anthropic/claude-x' WHERE id = $1`, [broken.id]);
    await onlyActive([ok.id, broken.id]);
    const before = (await t.http.get('/metrics').expect(200)).text;
    const now = new Date(Math.max(await anchorOf(ok.id), await anchorOf(broken.id)) + HOUR + 1000);
    const results = only(await firing.tick(now), [ok.id, broken.id]);
    expect(results).toHaveLength(2);
    const failed = results.find((r) => r.monitorId === broken.id)!;
    expect(failed.skipReason).toMatch(/^Fire failed: Judge provider 'anthropic'/);
    expect(only(await firing.tick(now), [broken.id])).toEqual([]);
    await waitForRun(t, a, results.find((r) => r.monitorId === ok.id)!.runId!);

    const text = (await t.http.get('/metrics').expect(200)).text;
    const delta = (name: string, labels: Record<string, string>) =>
      (sample(text, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(delta('pandaprobe_eval_monitor_fires_total', { trigger: 'scheduled', target_type: 'TRACE' })).toBe(1);
    expect(delta('pandaprobe_eval_monitor_failures_total', { stage: 'spawn' })).toBe(1);
    expect(sample(text, 'pandaprobe_eval_monitor_skips_total', { reason: 'nothing_new' })).toBeGreaterThan(0);
  });
});
