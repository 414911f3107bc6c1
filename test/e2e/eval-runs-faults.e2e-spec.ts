import Redis from 'ioredis';
import {
  evalRunTestEnv,
  expectCountersEqualStored,
  runLedgerSummary,
  seedTracesSql,
  waitForRun,
  waitUntil,
} from '../factories/eval-run.factory';
import { ingestTrace } from '../factories/trace.factory';
import { JudgeServer, startJudgeServer } from '../support/judge-server';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';
import { TEST_ENV } from '../support/test-env';
import { buildWorker, startWorkerProcess, WorkerProcess } from '../support/worker-process';
import { deleteKeys } from '../support/redis-keys';

const RUNS = '/evaluations/trace-runs';

/**
 * Faults done for real: the API runs without an in-process worker and the work is done by
 * separate `node dist/src/worker.js` processes that are killed, stopped and restarted, with Redis
 * flushed under them.
 */
describe('eval runs under faults (worker processes)', () => {
  let judge: JudgeServer;
  let t: TestApp;
  let tenant: Tenant;
  let redis: Redis;
  const workers: WorkerProcess[] = [];
  let workerEnv: Record<string, string>;

  beforeAll(async () => {
    await buildWorker();
    judge = await startJudgeServer();
    const env = evalRunTestEnv(judge.baseUrl, 'ef', {
      EVAL_SWEEP_INTERVAL_MS: '300',
      EVAL_ITEM_LEASE_MS: '2000',
      EVAL_WORKER_CONCURRENCY: '4',
      // Several Bull jobs per run, so that several workers share one run.
      EVAL_JOB_SLICE_SIZE: '4',
    });
    workerEnv = { ...env, RUN_WORKER_IN_PROCESS: 'false' };
    t = await createTestApp({ ...env, RUN_WORKER_IN_PROCESS: 'false' });
    tenant = await createTenant(t);
    redis = new Redis(TEST_ENV.REDIS_URL);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill('SIGKILL')));
    redis?.disconnect();
    await t?.close();
    await judge?.close();
  });

  const startWorker = async (extra: Record<string, string> = {}) => {
    const w = await startWorkerProcess({ ...workerEnv, ...extra });
    workers.push(w);
    return w;
  };
  const batch = async (traceIds: string[], metrics: string[]) =>
    (await t.http.post(`${RUNS}/batch`).set(tenant.headers).send({ trace_ids: traceIds, metrics }).expect(202)).body;
  const seeded = async (n: number, prefix: string): Promise<string[]> => {
    await seedTracesSql(t.dataSource, tenant.projectId, n, { prefix, withSpans: true });
    const rows = await t.dataSource.query(
      `SELECT trace_id FROM traces WHERE project_id = $1 AND name LIKE $2 ORDER BY name`,
      [tenant.projectId, `${prefix}-%`],
    );
    return rows.map((r: { trace_id: string }) => r.trace_id);
  };
  /** A fresh worker alone, a slow judge, and a batch run over `n` new traces with at least 4 traces done. */
  const runUnderWay = async (n: number, prefix: string, metrics: string[], latencyMs: number) => {
    for (const w of workers) await w.kill('SIGTERM');
    judge.reset();
    judge.setLatency(latencyMs);
    const ids = await seeded(n, prefix);
    const worker = await startWorker();
    const run = await batch(ids, metrics);
    await waitForRun(t, tenant, run.id, { until: (r) => r.evaluated_count >= 4, timeoutMs: 30_000 });
    return { worker, run };
  };
  /** Exactly one score per (trace, metric) of the run, all SUCCESS, and counters that agree. */
  const expectExactlyOnce = async (runId: string, targets: number, metrics: number) => {
    const [stats] = await t.dataSource.query(
      `SELECT count(*)::int AS scores, count(DISTINCT (trace_id, name))::int AS pairs,
              count(*) FILTER (WHERE status = 'SUCCESS')::int AS ok
       FROM trace_scores WHERE eval_run_id = $1`,
      [runId],
    );
    expect(stats).toEqual({ scores: targets * metrics, pairs: targets * metrics, ok: targets * metrics });
    const run = (await t.http.get(`${RUNS}/${runId}`).set(tenant.headers).expect(200)).body;
    expect(run).toMatchObject({
      status: 'COMPLETED',
      total_targets: targets,
      evaluated_count: targets,
      failed_count: 0,
      succeeded_count: targets * metrics,
    });
    const open = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM eval_run_items WHERE run_id = $1 AND state <> 'DONE'`,
      [runId],
    );
    expect(open).toEqual([{ n: 0 }]);
  };

  it('finishes a trace deleted while pending with a reason, and survives a Redis flush before any worker runs', async () => {
    const traces = [await ingestTrace(t, tenant), await ingestTrace(t, tenant), await ingestTrace(t, tenant)].map(
      (x) => x.trace_id,
    );
    const withDeleted = await batch(traces, ['confidence']);
    await t.http.delete(`/traces/${traces[1]}`).set(tenant.headers).expect(204);

    const ids = await seeded(12, 'flush');
    const flushed = await batch(ids, ['confidence']);
    // The wake-up jobs of both runs are in Redis: flush them away.
    expect((await redis.keys(`${workerEnv.QUEUE_PREFIX}:bull:*`)).length).toBeGreaterThan(0);
    await deleteKeys(TEST_ENV.REDIS_URL, `${workerEnv.QUEUE_PREFIX}:*`); // FLUSHDB, for this spec's keys only

    await startWorker();
    const done = await waitForRun(t, tenant, withDeleted.id, { timeoutMs: 30_000 });
    expect(done).toMatchObject({
      status: 'COMPLETED',
      total_targets: 3,
      evaluated_count: 3,
      failed_count: 0,
      succeeded_count: 2,
    });
    const scores = (await t.http.get(`${RUNS}/${withDeleted.id}/scores`).set(tenant.headers).expect(200)).body;
    expect(scores.map((s: any) => s.trace_id).sort()).toEqual([traces[0], traces[2]].sort());
    const [item] = await t.dataSource.query(
      `SELECT state, last_error FROM eval_run_items WHERE run_id = $1 AND trace_id = $2`,
      [withDeleted.id, traces[1]],
    );
    expect(item.state).toBe('DONE');
    expect(item.last_error).toMatch(/no longer exists/);

    await waitForRun(t, tenant, flushed.id, { timeoutMs: 30_000 });
    await expectExactlyOnce(flushed.id, 12, 1);
  }, 60_000);

  it('completes with exactly targets × metrics scores after a worker is SIGKILLed mid-run and another starts', async () => {
    const { worker: first, run } = await runUnderWay(24, 'kill', ['confidence', 'task_completion'], 150);
    // Items are in flight in the worker right now.
    const inFlight = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM eval_run_items WHERE run_id = $1 AND state = 'RUNNING'`,
      [run.id],
    );
    expect(inFlight[0].n).toBeGreaterThan(0);
    await first.kill('SIGKILL');
    const mid = (await t.http.get(`${RUNS}/${run.id}`).set(tenant.headers).expect(200)).body;
    expect(mid.status).toBe('RUNNING');
    expect(mid.evaluated_count).toBeLessThan(24);

    await startWorker();
    await waitForRun(t, tenant, run.id, { timeoutMs: 60_000 });
    await expectExactlyOnce(run.id, 24, 2);
    // Some items were taken over from the dead worker once their lease expired.
    const [{ max }] = await t.dataSource.query(
      `SELECT max(attempts)::int AS max FROM eval_run_items WHERE run_id = $1`,
      [run.id],
    );
    expect(max).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('on SIGTERM stops claiming and gives back its leases; a flush mid-run does not strand the run', async () => {
    const { worker, run } = await runUnderWay(30, 'term', ['confidence'], 300);
    // Nest closes the application on SIGTERM, then re-raises the signal to exit.
    await worker.kill('SIGTERM');
    expect(worker.child.signalCode ?? worker.child.exitCode).not.toBe('SIGKILL');
    const held = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM eval_run_items WHERE run_id = $1 AND (state = 'RUNNING' OR lease_token IS NOT NULL)`,
      [run.id],
    );
    expect(held).toEqual([{ n: 0 }]);
    const stopped = (await t.http.get(`${RUNS}/${run.id}`).set(tenant.headers).expect(200)).body;
    expect(stopped.evaluated_count).toBeLessThan(30);
    // In-flight items finished: no FAILED score came from the shutdown.
    expect(stopped.failed_count).toBe(0);

    await startWorker();
    await waitForRun(t, tenant, run.id, {
      until: (r) => r.evaluated_count > stopped.evaluated_count,
      timeoutMs: 30_000,
    });
    await deleteKeys(TEST_ENV.REDIS_URL, `${workerEnv.QUEUE_PREFIX}:*`); // FLUSHDB, for this spec's keys only
    await waitForRun(t, tenant, run.id, { timeoutMs: 60_000 });
    await expectExactlyOnce(run.id, 30, 1);
  }, 120_000);

  it('two live workers share a run; one is SIGKILLed at its 6th judge call; the other finishes it exactly once', async () => {
    for (const w of workers) await w.kill('SIGTERM');
    judge.reset();
    judge.setLatency(100);
    const ids = await seeded(24, 'two');
    // The kill point is deterministic: the worker kills itself right before its 6th judge call.
    // It starts alone and its first calls are held, so it surely holds jobs with more than six items
    // when the second worker comes up; only then are the calls answered.
    const release = judge.hold();
    const doomed = await startWorker({ EVAL_FAULTS: 'kill@judge:6' });
    const run = await batch(ids, ['confidence']);
    await waitUntil(() => judge.requests.length >= 4, 'the first worker has four judge calls in flight');
    const survivor = await startWorker();
    release();
    await doomed.exited;
    expect(doomed.child.signalCode).toBe('SIGKILL');
    expect(survivor.child.exitCode).toBeNull();

    await waitForRun(t, tenant, run.id, { timeoutMs: 60_000 });
    await expectExactlyOnce(run.id, 24, 1);
    // The dead worker's items were taken over once its leases (and its job locks) expired.
    const [{ max }] = await t.dataSource.query(
      `SELECT max(attempts)::int AS max FROM eval_run_items WHERE run_id = $1`,
      [run.id],
    );
    expect(max).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('SIGTERM with mixed results keeps the finished metric of each trace: nothing successful is judged twice', async () => {
    for (const w of workers) await w.kill('SIGTERM');
    judge.reset();
    // task_completion hangs, confidence answers at once.
    judge.fault({ stage: 'task_completion.extract', delayMs: 60_000, count: 1000 });
    const ids = await seeded(10, 'mixed');
    const worker = await startWorker({ EVAL_SHUTDOWN_GRACE_MS: '300', JUDGE_TIMEOUT_MS: '120000' });
    const run = await batch(ids, ['confidence', 'task_completion']);
    await waitUntil(
      () =>
        judge.stageRequests('confidence.evaluate').filter((r) => r.status === 200).length >= 4 &&
        judge.stageRequests('task_completion.extract').length >= 4,
      'four items with confidence judged and task_completion hanging',
    );
    await worker.kill('SIGTERM');
    const firstConfidence = judge.stageRequests('confidence.evaluate').length;
    const stopped = await runLedgerSummary(t.dataSource, run.id);
    // The finished metric of each in-flight trace was written; nothing failed, nothing is still leased.
    expect(stopped).toMatchObject({ stored_ok: firstConfidence, stored_failed: 0, leased: 0, done: 0 });
    await expectCountersEqualStored(t.dataSource, run.id);

    judge.reset();
    await startWorker();
    await waitForRun(t, tenant, run.id, { timeoutMs: 60_000 });
    await expectExactlyOnce(run.id, 10, 2);
    // Confidence was judged once per trace over both workers.
    expect(firstConfidence + judge.stageRequests('confidence.evaluate').length).toBe(10);
  }, 120_000);

  it('a run cancelled before any worker started is never judged', async () => {
    for (const w of workers) await w.kill('SIGTERM');
    judge.reset();
    const cancelledIds = await seeded(5, 'cxl');
    const cancelled = await batch(cancelledIds, ['confidence']);
    expect((await t.http.post(`${RUNS}/${cancelled.id}/cancel`).set(tenant.headers).expect(202)).body.status).toBe(
      'CANCELLED',
    );
    await startWorker();
    // A run created after it is judged (its job is behind the cancelled run's in the queue).
    const later = await batch(await seeded(3, 'after-cxl'), ['confidence']);
    await waitForRun(t, tenant, later.id, { timeoutMs: 30_000 });
    expect(judge.stageRequests('confidence.evaluate')).toHaveLength(3);
    expect(await runLedgerSummary(t.dataSource, cancelled.id)).toMatchObject({
      status: 'CANCELLED',
      evaluated_count: 0,
      scores: 0,
      leased: 0,
    });
  }, 60_000);
});
