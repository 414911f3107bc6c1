import { MonitorFiring, type FireResult } from '../../src/modules/monitors/monitor-firing';
import { evalRunTestEnv, runTraceIds, waitForRun } from '../factories/eval-run.factory';
import { createMonitor } from '../factories/monitor.factory';
import { buildSpan, ingestTrace } from '../factories/trace.factory';
import { JudgeServer, startJudgeServer } from '../support/judge-server';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

const QUIET_MS = 60_000;

/**
 * Issue 21, point 6: monitors see finished traces. A trace is ready when COMPLETED/ERROR or quiet for
 * MONITOR_TRACE_QUIET_MS; a monitor takes ready traces by their ready time and takes a trace again
 * when it changed after it was scored, once per (trace version, metric). Fires are driven with
 * injected clocks (MonitorFiring.tick(now)), the monitor made due by SQL so the clock can be the
 * real time or a little after it.
 */
describe('monitors take ready traces, and again when they change (injected clocks)', () => {
  let judge: JudgeServer;
  let t: TestApp;
  let firing: MonitorFiring;

  beforeAll(async () => {
    judge = await startJudgeServer();
    t = await createTestApp(
      evalRunTestEnv(judge.baseUrl, 'mrdy', {
        RUN_WORKER_IN_PROCESS: 'true',
        MONITOR_SCHEDULER_ENABLED: 'false',
        MONITOR_TRACE_QUIET_MS: String(QUIET_MS),
      }),
    );
    firing = t.app.get(MonitorFiring);
  });

  afterAll(async () => {
    await t?.close();
    await judge?.close();
  });

  /** Fires the monitor now on the clock `now` (its slot made due first); returns its result. */
  const fireAt = async (monitorId: string, now: Date): Promise<FireResult> => {
    await t.dataSource.query(`UPDATE eval_monitors SET next_run_at = $2 WHERE id = $1`, [
      monitorId,
      new Date(now.getTime() - 1000),
    ]);
    const results = await firing.tick(now);
    const mine = results.filter((r) => r.monitorId === monitorId);
    expect(mine).toHaveLength(1);
    return mine[0];
  };
  const fireAndWait = async (tenant: Tenant, monitorId: string, now = new Date()): Promise<string[]> => {
    const fired = await fireAt(monitorId, now);
    expect(fired.skipReason).toBeNull();
    await waitForRun(t, tenant, fired.runId!);
    return runTraceIds(t.dataSource, fired.runId!);
  };
  /** Scores of the monitor's runs per `trace/metric`. */
  const scoresPerTrace = async (monitorId: string): Promise<Record<string, number>> => {
    const rows: Array<{ trace_id: string; name: string; n: number }> = await t.dataSource.query(
      `SELECT s.trace_id, s.name, count(*)::int AS n FROM trace_scores s JOIN eval_runs r ON r.id = s.eval_run_id
       WHERE r.monitor_id = $1 GROUP BY s.trace_id, s.name`,
      [monitorId],
    );
    return Object.fromEntries(rows.map((r) => [`${r.trace_id}/${r.name}`, r.n]));
  };
  const versionOf = async (traceId: string): Promise<number> =>
    (await t.dataSource.query(`SELECT version FROM traces WHERE trace_id = $1`, [traceId]))[0].version;

  it('a trace first seen RUNNING is taken once quiet, and again after it gains spans and finishes; an unchanged one never twice', async () => {
    const a = await createTenant(t);
    const running = await ingestTrace(t, a, { name: 'running', status: 'RUNNING', ended_at: undefined });
    const done = await ingestTrace(t, a, { name: 'done' });
    const m = await createMonitor(t, a, { cadence: 'every_1h', metrics: ['confidence'] });

    // Now: the RUNNING trace changed a moment ago, so it is not ready; the COMPLETED one is.
    expect(await fireAndWait(a, m.id)).toEqual([done.trace_id]);

    // Two minutes later on the clock it has been quiet for longer than MONITOR_TRACE_QUIET_MS.
    expect(await fireAndWait(a, m.id, new Date(Date.now() + 2 * QUIET_MS))).toEqual([running.trace_id]);
    const firstVersion = await versionOf(running.trace_id);

    // It gains a span and completes: a new version, ready at once.
    await t.http
      .post(`/traces/${running.trace_id}/spans`)
      .set(a.headers)
      .send([buildSpan({ name: 'late step' })])
      .expect(201);
    await t.http
      .patch(`/traces/${running.trace_id}`)
      .set(a.headers)
      .send({ status: 'COMPLETED', output: { answer: 'final' } })
      .expect(200);
    const finalVersion = await versionOf(running.trace_id);
    expect(finalVersion).toBeGreaterThan(firstVersion);

    const fired = await fireAt(m.id, new Date());
    await waitForRun(t, a, fired.runId!);
    expect(await runTraceIds(t.dataSource, fired.runId!)).toEqual([running.trace_id]);
    const [item] = await t.dataSource.query(`SELECT trace_version FROM eval_run_items WHERE run_id = $1`, [
      fired.runId,
    ]);
    expect(item.trace_version).toBe(finalVersion);

    // Nothing changed since: later fires (now, and well after the quiet time) take nothing.
    for (const now of [new Date(), new Date(Date.now() + 10 * QUIET_MS)]) {
      const again = await fireAt(m.id, now);
      expect(again.runId).toBeNull();
      expect(again.skipReason).toMatch(
        /^No matching trace was ingested since the watermark .*, nor finished or changed\.$/,
      );
    }
    // Once per (trace, version, metric): the finished trace has two scores (two versions), the other one.
    expect(await scoresPerTrace(m.id)).toEqual({
      [`${done.trace_id}/confidence`]: 1,
      [`${running.trace_id}/confidence`]: 2,
    });
  }, 60_000);

  it('a monitor filtered on status COMPLETED takes a trace that completes long after it was created', async () => {
    const a = await createTenant(t);
    const slow = await ingestTrace(t, a, { name: 'slow', status: 'RUNNING', ended_at: undefined });
    // Created (and last changed) an hour ago: far behind the watermark minus MONITOR_INGEST_GRACE_MS.
    await t.dataSource.query(
      `UPDATE traces SET created_at = now() - interval '1 hour', updated_at = now() - interval '1 hour' WHERE trace_id = $1`,
      [slow.trace_id],
    );
    const quick = await ingestTrace(t, a, { name: 'quick' });
    const m = await createMonitor(t, a, { cadence: 'every_1h', filters: { status: 'COMPLETED' } });
    expect(await fireAndWait(a, m.id)).toEqual([quick.trace_id]);

    await t.http.patch(`/traces/${slow.trace_id}`).set(a.headers).send({ status: 'COMPLETED' }).expect(200);
    expect(await fireAndWait(a, m.id)).toEqual([slow.trace_id]);
    expect((await fireAt(m.id, new Date())).runId).toBeNull();
    expect(Object.values(await scoresPerTrace(m.id))).toEqual([1, 1]);
  }, 60_000);

  it('changes that change nothing do not make a trace new: a batch-tag no-op keeps its version', async () => {
    const a = await createTenant(t);
    const trace = await ingestTrace(t, a, { tags: ['x'] });
    const m = await createMonitor(t, a, { cadence: 'every_1h' });
    expect(await fireAndWait(a, m.id)).toEqual([trace.trace_id]);
    const before = await versionOf(trace.trace_id);
    await t.http
      .post('/traces/batch/tags')
      .set(a.headers)
      .send({ trace_ids: [trace.trace_id], add_tags: ['x'] })
      .expect(200);
    expect(await versionOf(trace.trace_id)).toBe(before);
    expect((await fireAt(m.id, new Date())).runId).toBeNull();

    // A real tag change is a change: the trace is taken again.
    await t.http
      .post('/traces/batch/tags')
      .set(a.headers)
      .send({ trace_ids: [trace.trace_id], add_tags: ['y'] })
      .expect(200);
    expect(await versionOf(trace.trace_id)).toBe(before + 1);
    expect(await fireAndWait(a, m.id)).toEqual([trace.trace_id]);
  }, 60_000);
});
