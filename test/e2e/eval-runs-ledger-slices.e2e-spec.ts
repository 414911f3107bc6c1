import {
  evalRunTestEnv,
  expectCountersEqualStored,
  runLedgerSummary,
  runTraceIds,
  seedTraceIds,
  waitForRun,
  waitUntil,
} from '../factories/eval-run.factory';
import { JudgeServer, startJudgeServer } from '../support/judge-server';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

const RUNS = '/evaluations/trace-runs';
const TRACES = 40;

/**
 * Issue 27.3: a filtered run's creation writes slice 0 to the ledger and keeps the other slices'
 * trace ids as one row each; a worker writes a slice into the ledger when it takes its job. Slices
 * of 5 items, so the 40-trace run below has 8, four of them in its project's window at first.
 */
describe('eval runs: the ledger written a slice at a time (in-process worker)', () => {
  let judge: JudgeServer;
  let t: TestApp;
  let a: Tenant;
  let ids: string[];

  beforeAll(async () => {
    judge = await startJudgeServer({ latencyMs: 20 });
    t = await createTestApp(
      evalRunTestEnv(judge.baseUrl, 'lslc', { RUN_WORKER_IN_PROCESS: 'true', EVAL_JOB_SLICE_SIZE: '5' }),
    );
    a = await createTenant(t);
    ids = [...(await seedTraceIds(t.dataSource, a.projectId, TRACES, 'lslc'))].sort();
  });

  afterAll(async () => {
    await t?.close();
    await judge?.close();
  });

  beforeEach(() => judge.reset());

  const pendingRows = async (runId: string): Promise<number> =>
    (await t.dataSource.query(`SELECT count(*)::int AS n FROM eval_run_pending_items WHERE run_id = $1`, [runId]))[0].n;

  it('a multi-slice run completes: every target judged once, nothing left outside the ledger', async () => {
    const run = (
      await t.http
        .post(RUNS)
        .set(a.headers)
        .send({ metrics: ['confidence'], sampling_rate: 1 })
        .expect(202)
    ).body;
    expect(run.total_targets).toBe(TRACES);
    const done = await waitForRun(t, a, run.id, { timeoutMs: 60_000 });
    expect(done.status).toBe('COMPLETED');
    expect(done.evaluated_count).toBe(TRACES);
    expect(await pendingRows(run.id)).toBe(0);
    const summary = await runLedgerSummary(t.dataSource, run.id);
    expect({ done: summary.done, open: summary.open, pairs: summary.pairs }).toEqual({
      done: TRACES,
      open: 0,
      pairs: TRACES,
    });
    await expectCountersEqualStored(t.dataSource, run.id);
    // One judge call per trace: no slice was written (nor judged) twice.
    expect(judge.requests.filter((r) => r.endpoint === 'chat')).toHaveLength(TRACES);
  }, 90_000);

  it('cancel while most slices wait outside the ledger, then retry: the retry takes every unjudged trace', async () => {
    const release = judge.hold();
    const run = (
      await t.http
        .post(RUNS)
        .set(a.headers)
        .send({ metrics: ['confidence'], sampling_rate: 1 })
        .expect(202)
    ).body;
    // The window's slices are in the ledger and their first calls are held at the judge.
    await waitUntil(() => judge.inFlight > 0, 'calls held at the judge');
    expect(await pendingRows(run.id)).toBeGreaterThan(0);
    await t.http.post(`${RUNS}/${run.id}/cancel`).set(a.headers).expect(202);
    release();
    await waitUntil(async () => (await runLedgerSummary(t.dataSource, run.id)).leased === 0, 'no lease left');
    const cancelled = await runLedgerSummary(t.dataSource, run.id);
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.scores).toBe(0);
    // Still outside the ledger: a cancelled run's remaining slices are never written.
    expect(await pendingRows(run.id)).toBeGreaterThan(0);

    const retry = (await t.http.post(`${RUNS}/${run.id}/retry`).set(a.headers).expect(202)).body;
    expect(retry.total_targets).toBe(TRACES);
    expect(await runTraceIds(t.dataSource, retry.id)).toEqual(ids);
    const done = await waitForRun(t, a, retry.id, { timeoutMs: 60_000 });
    expect(done.status).toBe('COMPLETED');
    expect((await runLedgerSummary(t.dataSource, retry.id)).pairs).toBe(TRACES);
    await expectCountersEqualStored(t.dataSource, retry.id);
  }, 90_000);
});
