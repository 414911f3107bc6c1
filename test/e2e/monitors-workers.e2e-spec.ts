import { evalRunTestEnv, waitForRun, waitUntil } from '../factories/eval-run.factory';
import { createMonitor } from '../factories/monitor.factory';
import { ingestTrace } from '../factories/trace.factory';
import { JudgeServer, startJudgeServer } from '../support/judge-server';
import { sample } from '../support/prom-sample';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';
import { WorkerMetricsStore } from '../../src/modules/operators/worker-metrics.store';
import { buildWorker, startWorkerProcess, WorkerProcess } from '../support/worker-process';

/**
 * Real worker processes (`node dist/src/worker.js`), each with its own scheduler timer, racing for the
 * same monitors after a downtime of ten slots: each monitor fires exactly once (one catch-up run),
 * whichever worker gets it, and the API's /metrics counts eight fires. The assertions wait for a state
 * (every monitor rescheduled, the counters published), never for a length of time.
 */
describe('monitor scheduler in three worker processes', () => {
  let judge: JudgeServer;
  let t: TestApp;
  let tenant: Tenant;
  const workers: WorkerProcess[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    await buildWorker();
    judge = await startJudgeServer();
    env = evalRunTestEnv(judge.baseUrl, 'mw', {
      RUN_WORKER_IN_PROCESS: 'false',
      MONITOR_SCHEDULER_ENABLED: 'true',
      MONITOR_TICK_MS: '100',
    });
    t = await createTestApp({ ...env, MONITOR_SCHEDULER_ENABLED: 'false' });
    tenant = await createTenant(t);
    await ingestTrace(t, tenant, { name: 'only' });
    // Monitors other specs left in this database must not fire here (the fire count below is exact).
    await t.dataSource.query(`UPDATE eval_monitors SET status = 'PAUSED', next_run_at = NULL`);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill('SIGKILL')));
    await t?.close();
    await judge?.close();
  });

  it('a worker killed while it holds a fire loses nothing: the slot stays due and another worker fires it once', async () => {
    const m = await createMonitor(t, tenant, {
      name: 'crash',
      cadence: 'every_1h',
      scope: 'all',
      only_if_changed: false,
    });
    await t.dataSource.query(
      `UPDATE eval_monitors SET schedule_anchor = now() - interval '90 minutes', next_run_at = now() - interval '30 minutes'
       WHERE id = $1`,
      [m.id],
    );
    // Alone, so it surely claims the monitor; SIGKILLed after the run's insert, before the commit.
    const doomed = await startWorkerProcess({ ...env, EVAL_FAULTS: 'kill@monitor_fire:1' });
    await doomed.exited;
    expect(doomed.output()).toContain('Injected fault: killing this worker');
    const [before] = await t.dataSource.query(
      `SELECT (next_run_at <= now()) AS due, (SELECT count(*)::int FROM eval_runs WHERE monitor_id = $1) AS runs
       FROM eval_monitors WHERE id = $1`,
      [m.id],
    );
    expect(before).toEqual({ due: true, runs: 0 });
    const survivor = await startWorkerProcess(env);
    workers.push(survivor);
    await waitUntil(
      async () => {
        const [row] = await t.dataSource.query(`SELECT next_run_at > now() AS done FROM eval_monitors WHERE id = $1`, [
          m.id,
        ]);
        return row.done;
      },
      'the survivor to fire the monitor',
      60_000,
    );
    const runs = await t.dataSource.query(`SELECT id FROM eval_runs WHERE monitor_id = $1`, [m.id]);
    expect(runs).toHaveLength(1);
    expect((await waitForRun(t, tenant, runs[0].id, { timeoutMs: 60_000 })).status).toBe('COMPLETED');
    await survivor.kill('SIGTERM');
  }, 180_000);

  it('eight monitors ten slots overdue: one run each, every one rescheduled into the future', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const m = await createMonitor(t, tenant, {
        name: `w-${i}`,
        cadence: 'every_1h',
        scope: 'all',
        only_if_changed: false,
      });
      ids.push(m.id);
    }
    // As if every worker had been down for ten and a half hours.
    await t.dataSource.query(
      `UPDATE eval_monitors SET schedule_anchor = now() - interval '10 hours 30 minutes',
              next_run_at = now() - interval '9 hours 30 minutes'
       WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    // The first test's workers are gone; a snapshot of counters one of them left behind (a process
    // stopped by force keeps its key until it expires) is not part of this test's count.
    await Promise.all(workers.splice(0).map((w) => w.kill('SIGKILL')));
    await t.app.get(WorkerMetricsStore).removeAll();
    for (let i = 0; i < 3; i++) workers.push(await startWorkerProcess(env));
    const rescheduled = async () => {
      const [row] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM eval_monitors WHERE id = ANY($1::uuid[]) AND next_run_at > now()`,
        [ids],
      );
      return row.n === ids.length;
    };
    await waitUntil(rescheduled, 'every monitor to fire', 120_000);
    const runs: Array<{ monitor_id: string; id: string }> = await t.dataSource.query(
      `SELECT monitor_id, id FROM eval_runs WHERE monitor_id = ANY($1::uuid[])`,
      [ids],
    );
    expect(runs.map((r) => r.monitor_id).sort()).toEqual([...ids].sort());
    const slots: Array<{ next_run_at: Date; schedule_anchor: Date }> = await t.dataSource.query(
      `SELECT next_run_at, schedule_anchor FROM eval_monitors WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    for (const s of slots) {
      // The next slot is the 11th of the grid: 30 minutes ahead, not "now + 1 h".
      expect(new Date(s.next_run_at).getTime() - new Date(s.schedule_anchor).getTime()).toBe(11 * 3_600_000);
    }
    for (const r of runs) expect((await waitForRun(t, tenant, r.id, { timeoutMs: 60_000 })).status).toBe('COMPLETED');
    // The workers' counters reach the API's /metrics (published through Redis): eight fires in all.
    const fires = async () =>
      sample((await t.http.get('/metrics').expect(200)).text, 'pandaprobe_eval_monitor_fires_total', {
        trigger: 'scheduled',
        target_type: 'TRACE',
      }) ?? 0;
    await waitUntil(async () => (await fires()) >= ids.length, 'the workers to publish their counters', 30_000);
    expect(await fires()).toBe(ids.length);
  }, 240_000);
});
