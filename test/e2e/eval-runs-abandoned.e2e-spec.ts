import { randomUUID } from 'node:crypto';
import { MAX_ITEM_ATTEMPTS } from '../../src/modules/eval-runs/worker/run-context';
import { TracesForJudging } from '../../src/modules/traces/traces-for-judging';
import { abandonStaleRuns, evalRunTestEnv, waitForRun } from '../factories/eval-run.factory';
import { ingestSession, SESSION_RUNS } from '../factories/session-run.factory';
import { ingestTrace } from '../factories/trace.factory';
import { JudgeServer, startJudgeServer } from '../support/judge-server';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

const RUNS = '/evaluations/trace-runs';
const REASON = `evaluation abandoned after ${MAX_ITEM_ATTEMPTS} interrupted attempts`;

/**
 * An item whose workers kept dying on it (MAX_ITEM_ATTEMPTS claims that never settled) is failed at
 * its next claim with the reason on every wanted metric, and without loading its trace or session:
 * what killed the workers may have been the loading itself (a session heavier than the heap).
 */
describe('eval runs: an item its workers kept dying on', () => {
  let judge: JudgeServer;
  let api: TestApp;
  let worker: TestApp | undefined;
  let tenant: Tenant;
  let env: Record<string, string>;

  beforeAll(async () => {
    await abandonStaleRuns();
    judge = await startJudgeServer();
    env = evalRunTestEnv(judge.baseUrl, 'aband');
    api = await createTestApp(env); // no worker: the runs wait in the queue
    tenant = await createTenant(api);
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await worker?.close();
    await api?.close();
    await judge?.close();
  });

  it('is failed with the reason, its environment kept, no judge call, and neither its trace nor its session loaded', async () => {
    const tag = randomUUID().slice(0, 8);
    const trace = await ingestTrace(api, tenant, { environment: 'staging', tags: [tag] });
    const sessionId = `aband-${tag}`;
    await ingestSession(api, tenant, sessionId, 2, () => ({ environment: 'canary' }));
    const traceRun = (
      await api.http
        .post(`${RUNS}/batch`)
        .set(tenant.headers)
        .send({ trace_ids: [trace.trace_id], metrics: ['confidence', 'task_completion'] })
        .expect(202)
    ).body;
    const sessionRun = (
      await api.http
        .post(`${SESSION_RUNS}/batch`)
        .set(tenant.headers)
        .send({ session_ids: [sessionId], metrics: ['agent_reliability'] })
        .expect(202)
    ).body;
    // As if MAX_ITEM_ATTEMPTS workers had claimed each item and died: the next claim is one too many.
    await api.dataSource.query(`UPDATE eval_run_items SET attempts = $2 WHERE run_id = ANY($1::uuid[])`, [
      [traceRun.id, sessionRun.id],
      MAX_ITEM_ATTEMPTS,
    ]);
    const byIds = jest.spyOn(TracesForJudging.prototype, 'byIds');
    const bySessions = jest.spyOn(TracesForJudging.prototype, 'bySessions');
    worker = await createTestApp({ ...env, RUN_WORKER_IN_PROCESS: 'true' });

    const doneTraces = await waitForRun(api, tenant, traceRun.id);
    expect(doneTraces).toMatchObject({ status: 'COMPLETED', evaluated_count: 1, succeeded_count: 0, failed_count: 2 });
    const traceScores = (await api.http.get(`${RUNS}/${traceRun.id}/scores`).set(tenant.headers).expect(200))
      .body as any[];
    expect(traceScores.map((s) => [s.name, s.status, s.reason, s.environment]).sort()).toEqual([
      ['confidence', 'FAILED', `Metric execution failed: ${REASON}`, 'staging'],
      ['task_completion', 'FAILED', `Metric execution failed: ${REASON}`, 'staging'],
    ]);

    const doneSessions = await waitForRun(api, tenant, sessionRun.id, { base: SESSION_RUNS });
    expect(doneSessions).toMatchObject({ status: 'COMPLETED', evaluated_count: 1, failed_count: 1 });
    const [sessionScore] = await api.dataSource.query(
      `SELECT status, reason, environment FROM session_scores WHERE eval_run_id = $1`,
      [sessionRun.id],
    );
    expect(sessionScore).toMatchObject({ status: 'FAILED', environment: 'canary' });
    expect(sessionScore.reason).toContain(REASON);

    expect(judge.requests).toEqual([]);
    expect(byIds.mock.calls.flatMap(([, ids]) => ids)).not.toContain(trace.trace_id);
    expect(bySessions.mock.calls.flatMap(([, ids]) => ids)).not.toContain(sessionId);
    const items = await api.dataSource.query(
      `SELECT state, attempts FROM eval_run_items WHERE run_id = ANY($1::uuid[])`,
      [[traceRun.id, sessionRun.id]],
    );
    expect(items).toEqual([
      { state: 'DONE', attempts: MAX_ITEM_ATTEMPTS + 1 },
      { state: 'DONE', attempts: MAX_ITEM_ATTEMPTS + 1 },
    ]);
  });
});
