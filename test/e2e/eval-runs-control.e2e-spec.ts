import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { randomBytes } from 'node:crypto';
import { EVAL_RUNS_QUEUE } from '../../src/queue/queue.constants';
import { EvalRunExecutor } from '../../src/modules/eval-runs/worker/eval-run.executor';
import {
  abandonStaleRuns,
  evalRunTestEnv,
  expectCountersEqualStored,
  runLedgerSummary,
  seedTraceIds,
  waitForRun,
  waitUntil,
} from '../factories/eval-run.factory';
import { JudgeServer, startJudgeServer } from '../support/judge-server';
import { sample } from '../support/prom-sample';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

const RUNS = '/evaluations/trace-runs';

/** Run control (cancel, budgets, retry rules), counters under deletions, and the worker's /metrics signals. */
describe('eval runs: control, exact counters and signals (in-process worker)', () => {
  let judge: JudgeServer;
  let t: TestApp;
  let a: Tenant;
  let b: Tenant;
  let executor: EvalRunExecutor;

  beforeAll(async () => {
    // Runs other specs left unfinished would be swept into this app's worker and take its scripted faults.
    await abandonStaleRuns();
    judge = await startJudgeServer();
    t = await createTestApp(
      evalRunTestEnv(judge.baseUrl, 'rc', {
        RUN_WORKER_IN_PROCESS: 'true',
        EVAL_WORKER_CONCURRENCY: '4',
        EVAL_JOB_SLICE_SIZE: '8',
        EVAL_ITEM_LEASE_MS: '2000',
        EVAL_SWEEP_INTERVAL_MS: '300',
      }),
    );
    a = await createTenant(t);
    b = await createTenant(t);
    executor = t.app.get(EvalRunExecutor, { strict: false });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await judge?.close();
  });

  beforeEach(() => judge.reset());

  const traces = (n: number) => seedTraceIds(t.dataSource, a.projectId, n, `rc-${randomBytes(3).toString('hex')}`);
  const batch = async (ids: string[], metrics: string[], extra: Record<string, unknown> = {}) =>
    (
      await t.http
        .post(`${RUNS}/batch`)
        .set(a.headers)
        .send({ trace_ids: ids, metrics, ...extra })
        .expect(202)
    ).body;
  const get = async (id: string) => (await t.http.get(`${RUNS}/${id}`).set(a.headers).expect(200)).body;
  const scoredTraces = async (runIds: string[]) =>
    (
      await t.dataSource.query(
        `SELECT trace_id, count(*)::int AS n FROM trace_scores WHERE eval_run_id = ANY($1::uuid[]) AND status = 'SUCCESS'
         GROUP BY trace_id`,
        [runIds],
      )
    ).map((r: { trace_id: string; n: number }) => r);
  const settled = (runId: string) =>
    waitUntil(async () => (await runLedgerSummary(t.dataSource, runId)).leased === 0, `run ${runId} to hold no lease`);

  // First in this app, so that no earlier run's completion can land between the two scrapes.
  it('/metrics shows what a real run through the worker did: pairs by outcome and metric, the run, judge calls by provider', async () => {
    const before = (await t.http.get('/metrics').expect(200)).text;
    const at = (text: string, name: string, labels: Record<string, string>) => sample(text, name, labels) ?? 0;
    judge.fault({ status: 401, count: 1, stage: 'confidence.evaluate' });
    const run = await batch(await traces(5), ['confidence']);
    expect(await waitForRun(t, a, run.id)).toMatchObject({ status: 'COMPLETED', succeeded_count: 4, failed_count: 1 });

    const after = (await t.http.get('/metrics').expect(200)).text;
    const moved = (name: string, labels: Record<string, string>) => at(after, name, labels) - at(before, name, labels);
    expect(moved('pandaprobe_eval_items_processed_total', { outcome: 'succeeded', metric: 'confidence' })).toBe(4);
    expect(moved('pandaprobe_eval_items_processed_total', { outcome: 'failed', metric: 'confidence' })).toBe(1);
    expect(moved('pandaprobe_eval_runs_finished_total', { status: 'COMPLETED' })).toBe(1);
    expect(
      moved('pandaprobe_judge_calls_total', { provider: 'openai', model: 'openai/judge-test', outcome: 'ok' }),
    ).toBe(4);
    expect(moved('pandaprobe_judge_errors_total', { provider: 'openai', kind: 'auth' })).toBe(1);
    expect(moved('pandaprobe_judge_call_duration_seconds_count', { provider: 'openai' })).toBe(5);
    expect(moved('pandaprobe_judge_tokens_total', { provider: 'openai', direction: 'input' })).toBeGreaterThan(0);
  }, 60_000);

  describe('cancel', () => {
    it('mid-run: 202 CANCELLED, no judge call starts after it, finished scores kept, calls in flight dropped, idempotent; retry finishes the rest', async () => {
      const ids = await traces(20);
      const first = judge.hold();
      const run = await batch(ids, ['confidence']);
      // Four items (the pool) are being judged, their calls held by the judge.
      await waitUntil(() => judge.requests.length === 4, 'four judge calls in flight');
      // Their Bull jobs are active while the items are judged.
      const queue = t.app.get<Queue>(getQueueToken(EVAL_RUNS_QUEUE));
      const jobsOfRun = async () => (await queue.getActive()).filter((j) => j.data.runId === run.id);
      expect((await jobsOfRun()).length).toBeGreaterThan(0);
      // Let those four finish while the next ones are held: the jobs report their progress. The run has
      // several slices, and the four may have been the whole of one (its job then completed at 100 %).
      const release = judge.hold();
      first();
      await waitUntil(async () => (await runLedgerSummary(t.dataSource, run.id)).done === 4, 'four items finished');
      const jobsWithProgress = async () =>
        (await queue.getJobs(['active', 'completed'])).filter(
          (j) => j.data.runId === run.id && Number(j.progress()) > 0,
        );
      await waitUntil(async () => (await jobsWithProgress()).length > 0, 'a job of the run to report progress');

      const cancelled = (await t.http.post(`${RUNS}/${run.id}/cancel`).set(a.headers).expect(202)).body;
      expect(cancelled.status).toBe('CANCELLED');
      expect(cancelled.completed_at).not.toBeNull();
      await waitUntil(() => executor.hasStopped(run.id), 'the worker to see the cancel');
      const callsAtCancel = judge.requests.length;
      // The calls in flight at the cancel end at once, and every item goes back, while the judge still holds them.
      await settled(run.id);
      release();

      expect(judge.requests.length).toBe(callsAtCancel);
      const after = await get(run.id);
      // Only the four items finished before the cancel count; what was in flight wrote nothing.
      expect(after).toMatchObject({ status: 'CANCELLED', evaluated_count: 4, succeeded_count: 4, failed_count: 0 });
      expect((await scoredTraces([run.id])).length).toBe(4);
      await expectCountersEqualStored(t.dataSource, run.id);
      // Again: a no-op.
      expect((await t.http.post(`${RUNS}/${run.id}/cancel`).set(a.headers).expect(202)).body.status).toBe('CANCELLED');
      // Another project cannot see it.
      await t.http.post(`${RUNS}/${run.id}/cancel`).set(b.headers).expect(404);

      const retry = (await t.http.post(`${RUNS}/${run.id}/retry`).set(a.headers).expect(202)).body;
      expect(retry.total_targets).toBe(16);
      await waitForRun(t, a, retry.id);
      expect((await get(retry.id)).status).toBe('COMPLETED');
      const scored = await scoredTraces([run.id, retry.id]);
      expect(scored).toHaveLength(20);
      expect(scored.every((r: { n: number }) => r.n === 1)).toBe(true);
    }, 60_000);

    it('cancel, then retry at once with calls still in flight: the retry waits for what the cancelled run holds; 12 scores, each trace judged once per metric into a score', async () => {
      const ids = await traces(12);
      const release = judge.hold();
      const run = await batch(ids, ['confidence']);
      await waitUntil(() => judge.requests.length === 4, 'four judge calls in flight');
      const inFlight = await t.dataSource.query(
        `SELECT trace_id FROM eval_run_items WHERE run_id = $1 AND state = 'RUNNING'`,
        [run.id],
      );
      expect(inFlight.length).toBeGreaterThanOrEqual(4);
      // No waiting between the two: the cancelled run's items may still be leased when the retry starts.
      await t.http.post(`${RUNS}/${run.id}/cancel`).set(a.headers).expect(202);
      const retry = (await t.http.post(`${RUNS}/${run.id}/retry`).set(a.headers).expect(202)).body;
      expect(retry.total_targets).toBe(12);
      release();
      expect((await waitForRun(t, a, retry.id)).status).toBe('COMPLETED');
      await settled(run.id);

      // The cancelled run wrote nothing after CANCELLED: no score, no counter.
      expect(await get(run.id)).toMatchObject({ status: 'CANCELLED', evaluated_count: 0, succeeded_count: 0 });
      const [stored] = await t.dataSource.query(
        `SELECT count(*)::int AS n, count(DISTINCT trace_id)::int AS traces FROM trace_scores WHERE eval_run_id = ANY($1::uuid[])`,
        [[run.id, retry.id]],
      );
      expect(stored).toEqual({ n: 12, traces: 12 });
      expect(await get(retry.id)).toMatchObject({ evaluated_count: 12, succeeded_count: 12 });
      // 4 dropped calls of the cancelled run, then one call per trace by the retry.
      const calls = judge.stageRequests('confidence.evaluate');
      expect(calls).toHaveLength(16);
      // No trace was judged by both runs at once: each trace's second call started after its first ended.
      // (A trace's prompt is the same in both runs and differs between traces: it keys the calls by trace.)
      const byTrace = new Map<string, typeof calls>();
      for (const c of calls) byTrace.set(c.prompt, [...(byTrace.get(c.prompt) ?? []), c]);
      expect(byTrace.size).toBe(12);
      for (const list of byTrace.values()) {
        expect(list.length).toBeLessThanOrEqual(2);
        if (list.length === 2) expect(list[1].receivedAt).toBeGreaterThanOrEqual(list[0].finishedAt ?? Infinity);
      }
      await expectCountersEqualStored(t.dataSource, retry.id);
    }, 60_000);

    it('after completion: 409', async () => {
      const run = await batch(await traces(2), ['confidence']);
      await waitForRun(t, a, run.id);
      const res = await t.http.post(`${RUNS}/${run.id}/cancel`).set(a.headers).expect(409);
      expect(res.body.detail).toBe(
        `Eval run ${run.id} is already COMPLETED; only a PENDING or RUNNING run can be cancelled.`,
      );
    });
  });

  describe('budgets', () => {
    it.each([
      ['max_judge_calls', { max_judge_calls: 3 }, /^Judge call budget reached: max_judge_calls is 3 /],
      ['max_judge_tokens', { max_judge_tokens: 4000 }, /^Judge token budget reached: max_judge_tokens is 4000 /],
    ])(
      '%s reached: FAILED naming it, scores kept, then retry completes the run',
      async (_, budget, message) => {
        judge.setLatency(30);
        const ids = await traces(24);
        const run = await batch(ids, ['confidence'], budget);
        expect(run).toMatchObject(budget);
        const stopped = await waitForRun(t, a, run.id);
        await settled(run.id);
        expect(stopped.status).toBe('FAILED');
        expect(stopped.error_message).toMatch(message);
        const s = await runLedgerSummary(t.dataSource, run.id);
        expect(s.stored_ok).toBeGreaterThan(0);
        expect(s.stored_ok).toBeLessThan(24);
        await expectCountersEqualStored(t.dataSource, run.id);

        const retry = (await t.http.post(`${RUNS}/${run.id}/retry`).set(a.headers).expect(202)).body;
        expect(retry.total_targets).toBe(24 - s.stored_ok);
        expect((await waitForRun(t, a, retry.id)).status).toBe('COMPLETED');
        const scored = await scoredTraces([run.id, retry.id]);
        expect(scored).toHaveLength(24);
        expect(scored.every((r: { n: number }) => r.n === 1)).toBe(true);
      },
      60_000,
    );

    it('rejects a budget that is not a positive integer (422)', async () => {
      const res = await t.http
        .post(`${RUNS}/batch`)
        .set(a.headers)
        .send({ trace_ids: await traces(1), metrics: ['confidence'], max_judge_calls: 0 })
        .expect(422);
      expect(res.body.errors[0].field).toBe('max_judge_calls');
    });
  });

  describe('retry', () => {
    it('one retry per run at a time: of concurrent retries exactly one wins, the others get 409 naming it', async () => {
      judge.fault({ status: 401, count: 3, stage: 'confidence.evaluate' });
      const run = await batch(await traces(6), ['confidence']);
      const done = await waitForRun(t, a, run.id);
      expect(done).toMatchObject({ status: 'COMPLETED', failed_count: 3, succeeded_count: 3 });

      const release = judge.hold();
      const answers = await Promise.all([1, 2, 3].map(() => t.http.post(`${RUNS}/${run.id}/retry`).set(a.headers)));
      const won = answers.filter((r) => r.status === 202);
      const lost = answers.filter((r) => r.status === 409);
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(2);
      for (const r of lost) {
        expect(r.body.detail).toMatch(
          new RegExp(`^Eval run ${run.id} already has a retry in flight: ${won[0].body.id} \\((PENDING|RUNNING)\\)`),
        );
      }
      release();
      const retried = await waitForRun(t, a, won[0].body.id);
      expect(retried).toMatchObject({ status: 'COMPLETED', total_targets: 3, succeeded_count: 3 });
      expect(judge.stageRequests('confidence.evaluate')).toHaveLength(6 + 3);
    }, 60_000);
  });

  it('counters equal the stored scores when traces and scores are deleted mid-run; a finished item without a score says why', async () => {
    judge.setLatency(40);
    const ids = await traces(16);
    const run = await batch(ids, ['confidence', 'task_completion']);
    await waitForRun(t, a, run.id, { until: (r) => r.evaluated_count >= 4 });
    const [{ trace_id: finished }] = await t.dataSource.query(
      `SELECT trace_id FROM eval_run_items WHERE run_id = $1 AND state = 'DONE' LIMIT 1`,
      [run.id],
    );
    const open: { trace_id: string }[] = await t.dataSource.query(
      `SELECT trace_id FROM eval_run_items WHERE run_id = $1 AND state <> 'DONE' ORDER BY trace_id LIMIT 2`,
      [run.id],
    );
    await t.http.delete(`/traces/${finished}`).set(a.headers).expect(204);
    for (const o of open) await t.http.delete(`/traces/${o.trace_id}`).set(a.headers).expect(204);
    const [score] = await t.dataSource.query(
      `SELECT id FROM trace_scores WHERE eval_run_id = $1 ORDER BY created_at LIMIT 1`,
      [run.id],
    );
    await t.http.delete(`/evaluations/trace-scores/${score.id}`).set(a.headers).expect(204);
    // Read in one statement, so the worker cannot write between the two numbers.
    const mid = await runLedgerSummary(t.dataSource, run.id);
    expect(mid.succeeded_count).toBe(mid.stored_ok);

    const done = await waitForRun(t, a, run.id);
    expect(done.status).toBe('COMPLETED');
    expect(done.evaluated_count).toBe(16);
    await expectCountersEqualStored(t.dataSource, run.id);
  }, 60_000);
});
