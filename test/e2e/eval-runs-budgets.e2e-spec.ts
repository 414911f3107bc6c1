import {
  abandonStaleRuns,
  evalRunTestEnv,
  expectCountersEqualStored,
  runLedgerSummary,
  seedTraceIds,
  waitForRun,
  waitUntil,
} from '../factories/eval-run.factory';
import Redis from 'ioredis';
import { APP_CONFIG } from '../../src/config/config.module';
import type { AppConfig } from '../../src/config/env';
import { OrgQuotaService } from '../../src/modules/quotas/org-quotas.service';
import { JudgeServer, startJudgeServer } from '../support/judge-server';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';
import { buildWorker, startWorkerProcess, WorkerProcess } from '../support/worker-process';

const RUNS = '/evaluations/trace-runs';

/**
 * Budgets hold whatever the concurrency: two worker processes of 32 slots each judge one run, and
 * the scripted judge counts the calls it received. A budget of N never makes more than N calls
 * (each call first wins a reservation on the run's row), and a run stops only when a call is refused.
 */
describe('judge budgets under full concurrency (two worker processes, 32 slots each)', () => {
  let judge: JudgeServer;
  let t: TestApp; // in-process API without a worker
  let a: Tenant;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    await abandonStaleRuns();
    await buildWorker();
    judge = await startJudgeServer({ latencyMs: 20 });
    const env = evalRunTestEnv(judge.baseUrl, 'bg', {
      EVAL_WORKER_CONCURRENCY: '32',
      EVAL_JOB_SLICE_SIZE: '16',
      EVAL_SWEEP_INTERVAL_MS: '300',
      RUN_WORKER_IN_PROCESS: 'false',
    });
    t = await createTestApp(env);
    a = await createTenant(t);
    for (let i = 0; i < 2; i++) workers.push(await startWorkerProcess(env));
  }, 240_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill('SIGKILL')));
    await t?.close();
    await judge?.close();
  });

  beforeEach(() => judge.reset());

  const chatCalls = () => judge.requests.length;

  it.each([1, 3, 20])(
    'max_judge_calls %i: never more calls than the budget; FAILED naming it; reservations equal the calls made',
    async (budget) => {
      const ids = await seedTraceIds(t.dataSource, a.projectId, 96, `bg-${budget}`);
      const run = (
        await t.http
          .post(`${RUNS}/batch`)
          .set(a.headers)
          .send({ trace_ids: ids, metrics: ['confidence', 'coherence'], max_judge_calls: budget })
          .expect(202)
      ).body;
      const stopped = await waitForRun(t, a, run.id, { timeoutMs: 60_000 });
      expect(stopped.status).toBe('FAILED');
      expect(stopped.error_message).toMatch(new RegExp(`^Judge call budget reached: max_judge_calls is ${budget} `));
      // Every held item is given back, and nothing is in flight any more.
      await waitUntil(async () => (await runLedgerSummary(t.dataSource, run.id)).leased === 0, 'no lease left');
      await waitUntil(() => judge.inFlight === 0, 'no judge call in flight');
      expect(chatCalls()).toBe(budget);
      const [row] = await t.dataSource.query(`SELECT judge_calls, judge_calls_reserved FROM eval_runs WHERE id = $1`, [
        run.id,
      ]);
      expect(row).toEqual({ judge_calls: budget, judge_calls_reserved: budget });
      // Scores are kept (a metric that needs no call, e.g. on an ERROR trace, can add one beyond the calls).
      expect((await runLedgerSummary(t.dataSource, run.id)).stored_ok).toBeGreaterThan(0);
      await expectCountersEqualStored(t.dataSource, run.id);
    },
    90_000,
  );

  it('max_judge_tokens: the calls made fit the estimates reserved; a refused estimate stops the run', async () => {
    const ids = await seedTraceIds(t.dataSource, a.projectId, 64, 'bg-tokens');
    // Roughly four calls' estimates (each about the prompt's chars / 4 plus the output reserve).
    const budget = 4_000;
    const run = (
      await t.http
        .post(`${RUNS}/batch`)
        .set(a.headers)
        .send({ trace_ids: ids, metrics: ['confidence'], max_judge_tokens: budget })
        .expect(202)
    ).body;
    const stopped = await waitForRun(t, a, run.id, { timeoutMs: 60_000 });
    expect(stopped.status).toBe('FAILED');
    expect(stopped.error_message).toMatch(/^Judge token budget reached: max_judge_tokens is 4000 /);
    await waitUntil(async () => (await runLedgerSummary(t.dataSource, run.id)).leased === 0, 'no lease left');
    await waitUntil(() => judge.inFlight === 0, 'no judge call in flight');
    const reported = judge.reportedTotals();
    expect(chatCalls()).toBeGreaterThan(0);
    // The scripted judge reports fewer tokens than our estimates: what it reported stays within the budget.
    expect(reported.input + reported.output).toBeLessThanOrEqual(budget);
    const [row] = await t.dataSource.query(`SELECT judge_tokens_reserved::int AS r FROM eval_runs WHERE id = $1`, [
      run.id,
    ]);
    expect(row.r).toBe(reported.input + reported.output);
  }, 90_000);

  it("the organization's daily calls quota: the workers take calls in blocks, never past the quota, and give back the rest", async () => {
    const tenant = await createTenant(t);
    const quotas = t.app.get(OrgQuotaService);
    const usedBy = async (orgId: string) =>
      Object.fromEntries((await quotas.report(orgId)).map((q) => [q.name, q.used])) as Record<string, number>;
    // The day so far: tokens counted for 1,000 calls and all but 10 of the default 100,000 calls taken.
    const { redis: at } = t.app.get<AppConfig>(APP_CONFIG);
    const redis = new Redis(at.url);
    const day = `${at.queuePrefix}:quota:judge:${tenant.orgId}:${new Date().toISOString().slice(0, 10)}`;
    await redis.hset(day, { calls: 99_990, tokens: 100_000, counted: 1_000 });
    await redis.quit();
    /** Judges `n` new traces of the tenant with `confidence` to the end; returns the run's id. */
    const runToEnd = async (of: Tenant, n: number, tag: string): Promise<string> => {
      const ids = await seedTraceIds(t.dataSource, of.projectId, n, tag);
      const res = await t.http
        .post(`${RUNS}/batch`)
        .set(of.headers)
        .send({ trace_ids: ids, metrics: ['confidence'] });
      expect(res.status).toBe(202);
      expect((await waitForRun(t, of, res.body.id, { timeoutMs: 60_000 })).status).toBe('COMPLETED');
      return res.body.id as string;
    };
    const runId = await runToEnd(tenant, 96, 'bg-quota');
    expect(chatCalls()).toBe(10);
    const failed = await t.dataSource.query(
      `SELECT reason FROM trace_scores WHERE eval_run_id = $1 AND status = 'FAILED' LIMIT 1`,
      [runId],
    );
    expect(failed[0]?.reason).toContain('QUOTA_JUDGE_CALLS_PER_DAY');
    await waitUntil(async () => (await usedBy(tenant.orgId)).judgeCallsPerDay === 100_000, 'the day counts every call');

    // A run well inside the quota: once it ends, the day counts the calls made and their tokens, not the blocks taken.
    const other = await createTenant(t);
    judge.reset();
    await runToEnd(other, 40, 'bg-quota2');
    const reported = judge.reportedTotals();
    const expected = { judgeCallsPerDay: chatCalls(), judgeTokensPerDay: reported.input + reported.output };
    await waitUntil(async () => {
      const now = await usedBy(other.orgId);
      return now.judgeCallsPerDay === expected.judgeCallsPerDay && now.judgeTokensPerDay === expected.judgeTokensPerDay;
    }, 'the day counts the calls made and their tokens');
  }, 120_000);
});
