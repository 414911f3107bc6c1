import { randomBytes } from 'node:crypto';
import { FaultInjector, FaultPoint } from '../../src/common/faults/fault-injector';
import {
  evalRunTestEnv,
  expectCountersEqualStored,
  runLedgerSummary,
  seedTraceIds,
  waitForRun,
} from '../factories/eval-run.factory';
import { JudgeServer, startJudgeServer } from '../support/judge-server';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

const RUNS = '/evaluations/trace-runs';
const TARGETS = 12;
/** Two built-in metrics and a custom one (issue 24: exactly-once holds for custom metrics too). */
const METRICS = ['confidence', 'task_completion', 'fm_custom'];

/**
 * Deterministic fault injection (FaultInjector, NODE_ENV=test): at each named point of the worker
 * one chosen hit throws. Whatever the point, the run must end COMPLETED with exactly
 * targets × metrics scores, and counters equal to what is stored.
 */
describe('eval runs: fault-injection matrix (in-process worker)', () => {
  let judge: JudgeServer;
  let t: TestApp;
  let tenant: Tenant;
  let faults: FaultInjector;

  beforeAll(async () => {
    judge = await startJudgeServer({ latencyMs: 20 });
    t = await createTestApp(
      evalRunTestEnv(judge.baseUrl, 'fm', {
        RUN_WORKER_IN_PROCESS: 'true',
        EVAL_WORKER_CONCURRENCY: '4',
        EVAL_JOB_SLICE_SIZE: '5',
        EVAL_JOB_CONCURRENCY: '2',
        EVAL_ITEM_LEASE_MS: '1000',
        EVAL_SWEEP_INTERVAL_MS: '300',
      }),
    );
    tenant = await createTenant(t);
    await t.http
      .post('/evaluations/custom-metrics')
      .set(tenant.headers)
      .send({ name: 'fm_custom', output_type: 'BOOLEAN', prompt_template: 'Did it answer? {{output}}' })
      .expect(201);
    faults = t.app.get(FaultInjector, { strict: false });
  }, 60_000);

  afterAll(async () => {
    faults?.reset();
    await t?.close();
    await judge?.close();
  });

  // [row, faults armed as (point, n-th hit)]
  const matrix: Array<[string, Array<[FaultPoint, number]>]> = [
    ['claim (after the claim commits: the claimed items are lost and must expire)', [['claim', 2]]],
    ['load (the batch is given back)', [['load', 1]]],
    ['judge (the item gives back its unfinished metric, keeps the other)', [['judge', 3]]],
    ['score write (after the scores commit, before the items are settled)', [['score_write', 1]]],
    ['finish (after the settle commits)', [['finish', 1]]],
    [
      'release (a load fails and then its release fails: the leases must expire)',
      [
        ['load', 1],
        ['release', 1],
      ],
    ],
  ];

  it.each(matrix)(
    '%s: the run completes with exactly targets × metrics scores and exact counters',
    async (_, arms) => {
      faults.reset();
      for (const [point, nth] of arms) faults.arm(point, nth);
      const ids = await seedTraceIds(t.dataSource, tenant.projectId, TARGETS, `fm-${randomBytes(3).toString('hex')}`);
      const run = (
        await t.http.post(`${RUNS}/batch`).set(tenant.headers).send({ trace_ids: ids, metrics: METRICS }).expect(202)
      ).body;
      const done = await waitForRun(t, tenant, run.id, { timeoutMs: 45_000 });

      // Every armed fault really fired.
      expect(faults.pending()).toBe(0);
      expect(done).toMatchObject({
        status: 'COMPLETED',
        total_targets: TARGETS,
        evaluated_count: TARGETS,
        failed_count: 0,
        succeeded_count: TARGETS * METRICS.length,
      });
      const s = await runLedgerSummary(t.dataSource, run.id);
      expect(s).toMatchObject({ scores: TARGETS * METRICS.length, pairs: TARGETS * METRICS.length, open: 0 });
      await expectCountersEqualStored(t.dataSource, run.id);
    },
    60_000,
  );

  it('the heartbeat renews only the items the process holds: claimed-then-lost items are taken over', async () => {
    faults.reset();
    faults.arm('claim', 1);
    const ids = await seedTraceIds(t.dataSource, tenant.projectId, 4, `fl-${randomBytes(3).toString('hex')}`);
    const run = (
      await t.http
        .post(`${RUNS}/batch`)
        .set(tenant.headers)
        .send({ trace_ids: ids, metrics: ['confidence'] })
        .expect(202)
    ).body;
    await waitForRun(t, tenant, run.id, { timeoutMs: 30_000 });
    // The lost items were claimed again once their lease expired (a renewed lease never would be).
    const [{ max }] = await t.dataSource.query(
      `SELECT max(attempts)::int AS max FROM eval_run_items WHERE run_id = $1`,
      [run.id],
    );
    expect(max).toBeGreaterThanOrEqual(2);
    await expectCountersEqualStored(t.dataSource, run.id);
  }, 60_000);
});
