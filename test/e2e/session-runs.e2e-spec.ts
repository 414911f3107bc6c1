import { randomUUID } from 'node:crypto';
import { flush, init, shutdown, withSpan, withTrace } from 'pandaprobe';
import { abandonStaleRuns, evalRunTestEnv, waitForRun, waitUntil } from '../factories/eval-run.factory';
import { expectedSessionScores, ingestSession, SESSION_RUNS } from '../factories/session-run.factory';
import { ingestTrace, type TracePayload } from '../factories/trace.factory';
import { JudgeServer, startJudgeServer } from '../support/judge-server';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';
import { buildWorker, startWorkerProcess, WorkerProcess } from '../support/worker-process';

const SESSION_SCORE_KEYS = [
  'author_user_id',
  'created_at',
  'data_type',
  'eval_run_id',
  'id',
  'metadata',
  'name',
  'project_id',
  'reason',
  'session_id',
  'source',
  'status',
  'updated_at',
  'value',
];
const BOTH = ['agent_reliability', 'agent_consistency'];

describe('session runs (HTTP, in-process worker, scripted judge)', () => {
  let judge: JudgeServer;
  let t: TestApp;
  let a: Tenant;
  let b: Tenant;
  const sessions: Record<string, TracePayload[]> = {};
  const tag = randomUUID().slice(0, 6);
  /** Session ids unique to this spec run (a database can hold earlier runs' data). */
  const sid = (name: string) => `${name}-${tag}`;

  beforeAll(async () => {
    judge = await startJudgeServer();
    t = await createTestApp(evalRunTestEnv(judge.baseUrl, 'sr', { RUN_WORKER_IN_PROCESS: 'true' }));
    a = await createTenant(t);
    b = await createTenant(t);
    // sess-a: 3 traces of u-1 tagged prod, the second an ERROR; sess-b: 2 traces of u-2 tagged dev;
    // sess-c: 1 trace of u-1 tagged prod, in March. Tenant b has a session of the same name as a's.
    sessions.a = await ingestSession(t, a, sid('sess-a'), 3, (i) => ({
      user_id: 'u-1',
      tags: ['prod'],
      status: i === 1 ? 'ERROR' : 'COMPLETED',
    }));
    sessions.b = await ingestSession(t, a, sid('sess-b'), 2, () => ({ user_id: 'u-2', tags: ['dev'] }));
    sessions.c = await ingestSession(
      t,
      a,
      sid('sess-c'),
      1,
      () => ({ user_id: 'u-1', tags: ['prod'] }),
      '2026-03-01T00:00:00Z',
    );
    await ingestTrace(t, a, { name: 'no session' });
    await ingestSession(t, b, sid('sess-a'), 1);
    await ingestSession(t, b, sid('only-b'), 1);
  }, 60_000);

  afterAll(async () => {
    await shutdown();
    await t?.close();
    await judge?.close();
  });

  beforeEach(() => judge.reset());

  const create = (tenant: Tenant, body: Record<string, unknown>) =>
    t.http.post(SESSION_RUNS).set(tenant.headers).send(body);
  const batch = (tenant: Tenant, body: Record<string, unknown>) =>
    t.http.post(`${SESSION_RUNS}/batch`).set(tenant.headers).send(body);
  const finished = (tenant: Tenant, id: string, statuses?: string[]) =>
    waitForRun(t, tenant, id, { base: SESSION_RUNS, statuses });
  const scoresOf = async (tenant: Tenant, runId: string) =>
    (await t.http.get(`${SESSION_RUNS}/${runId}/scores`).set(tenant.headers).expect(200)).body as any[];
  const ledgerSessions = async (runId: string) =>
    (
      await t.dataSource.query(`SELECT session_id FROM eval_run_items WHERE run_id = $1 ORDER BY session_id`, [runId])
    ).map((r: { session_id: string }) => r.session_id);
  const signalsOf = (runId: string) =>
    t.dataSource.query(
      `SELECT trace_id, name, status, reason FROM trace_scores WHERE eval_run_id = $1 ORDER BY trace_id, name`,
      [runId],
    ) as Promise<Array<{ trace_id: string; name: string; status: string; reason: string }>>;
  const chatCalls = () => judge.requests.filter((r) => r.endpoint === 'chat').length;

  it('GET /evaluations/session-metrics lists the two session metrics', async () => {
    const res = await t.http.get('/evaluations/session-metrics').set(a.headers).expect(200);
    expect(res.body.map((m: any) => [m.name, m.category])).toEqual([
      ['agent_consistency', 'session'],
      ['agent_reliability', 'session'],
    ]);
    const traceMetrics = await t.http.get('/evaluations/trace-metrics').set(a.headers).expect(200);
    expect(traceMetrics.body.map((m: any) => m.name)).not.toContain('loop_detection');
  });

  let fullRun: any;

  it('a filtered run over every session: signals computed once per trace, session scores by the §4.3 formulas', async () => {
    const res = await create(a, { name: 'all sessions', metrics: [...BOTH, 'agent_reliability'] }).expect(202);
    expect(res.body).toMatchObject({
      status: 'PENDING',
      target_type: 'SESSION',
      metric_names: BOTH,
      total_targets: 3,
      filters: {},
      sampling_rate: 1,
    });
    fullRun = await finished(a, res.body.id);
    // Counters as §3.8: one per session; failed/succeeded count session metrics only.
    expect(fullRun).toMatchObject({ status: 'COMPLETED', evaluated_count: 3, failed_count: 0, succeeded_count: 6 });
    expect(fullRun.judge_usage.calls).toBeGreaterThan(0);
    expect(await ledgerSessions(fullRun.id)).toEqual([sid('sess-a'), sid('sess-b'), sid('sess-c')].sort());

    // Exactly one signal per (trace, signal): 6 traces × 4 signals, all stored as trace scores of this run.
    const signals = await signalsOf(fullRun.id);
    expect(signals).toHaveLength(24);
    expect(new Set(signals.map((s) => `${s.trace_id}/${s.name}`)).size).toBe(24);
    expect(signals.every((s) => s.status === 'SUCCESS')).toBe(true);
    // Confidence judged once per trace; tool_correctness twice (extract, score).
    expect(judge.stageRequests('confidence.evaluate')).toHaveLength(6);
    expect(judge.stageRequests('tool_correctness.extract')).toHaveLength(6);

    const scores = await scoresOf(a, fullRun.id);
    expect(scores).toHaveLength(6);
    const window = await t.http.get(`${SESSION_RUNS}/${fullRun.id}/scores?limit=2&offset=3`).set(a.headers).expect(200);
    expect(window.body.map((s: any) => s.id)).toEqual(scores.slice(3, 5).map((s) => s.id));
    expect(Object.keys(scores[0]).sort()).toEqual(SESSION_SCORE_KEYS);
    for (const s of scores) {
      expect(s).toMatchObject({
        status: 'SUCCESS',
        source: 'AUTOMATED',
        data_type: 'NUMERIC',
        eval_run_id: fullRun.id,
      });
      const expected = await expectedSessionScores(t.dataSource, a.projectId, fullRun.id, s.session_id);
      expect(Number(s.value)).toBe(expected[s.name]);
      expect(s.metadata).toMatchObject({
        total_traces_in_session: sessions[s.session_id.split('-')[1]].length,
        signal_weights: { confidence: 1, loop_detection: 1, tool_correctness: 0.8, coherence: 1 },
        signals: { reused: [], failed: [] },
      });
    }
    // loop_detection of a session's first trace has nothing to compare; later ones compare with earlier outputs.
    const loops = await t.dataSource.query(
      `SELECT t.name, s.metadata FROM trace_scores s JOIN traces t USING (trace_id)
       WHERE s.eval_run_id = $1 AND s.name = 'loop_detection' AND t.session_id = $2 ORDER BY t.started_at`,
      [fullRun.id, sid('sess-a')],
    );
    expect(loops[0].metadata).toMatchObject({ note: 'no_previous_outputs' });
    expect(loops[2].metadata.comparisons).toHaveLength(2);
  });

  it('reuses signals: a trace scored earlier is not judged again (judge calls counted)', async () => {
    // A fresh session; one of its traces gets a confidence score from a trace run first.
    const fresh = await ingestSession(t, a, sid('reuse'), 2);
    const traceRun = await t.http
      .post('/evaluations/trace-runs/batch')
      .set(a.headers)
      .send({ trace_ids: [fresh[0].trace_id], metrics: ['confidence'] })
      .expect(202);
    await waitForRun(t, a, traceRun.body.id);
    judge.reset();
    const run = (await batch(a, { session_ids: [sid('reuse')], metrics: ['agent_reliability'] }).expect(202)).body;
    await finished(a, run.id);
    expect(judge.stageRequests('confidence.evaluate')).toHaveLength(1);
    expect(judge.stageRequests('confidence.evaluate')[0].prompt).toContain(String(fresh[1].output));
    const [score] = await scoresOf(a, run.id);
    const [reusedScore] = await t.dataSource.query(
      `SELECT id FROM trace_scores WHERE eval_run_id = $1 AND trace_id = $2`,
      [traceRun.body.id, fresh[0].trace_id],
    );
    expect(score.metadata.signals).toEqual({
      computed: 7,
      reused: [
        { trace_id: fresh[0].trace_id, name: 'confidence', score_id: reusedScore.id, eval_run_id: traceRun.body.id },
      ],
      failed: [],
    });
    // The reused signal is not written again for this run.
    expect((await signalsOf(run.id)).filter((s) => s.name === 'confidence')).toHaveLength(1);

    // A second session run over sessions already evaluated makes no chat call at all.
    judge.reset();
    const again = (await batch(a, { session_ids: [sid('sess-a')], metrics: BOTH }).expect(202)).body;
    await finished(a, again.id);
    expect(chatCalls()).toBe(0);
    expect(await signalsOf(again.id)).toEqual([]);
    const scores = await scoresOf(a, again.id);
    expect(scores.every((s) => s.metadata.signals.reused.length === 12)).toBe(true);
    const first = (await scoresOf(a, fullRun.id)).filter((s) => s.session_id === sid('sess-a'));
    for (const s of scores) expect(s.value).toBe(first.find((f) => f.name === s.name)!.value);
  });

  it('reuses only signals judged by the same model: another judge model computes them again', async () => {
    const fresh = await ingestSession(t, a, sid('reuse-model'), 2);
    const traceRun = await t.http
      .post('/evaluations/trace-runs/batch')
      .set(a.headers)
      .send({ trace_ids: fresh.map((f) => f.trace_id), metrics: ['confidence'], model: 'openai/judge-other' })
      .expect(202);
    await waitForRun(t, a, traceRun.body.id);

    // The default judge model did not score these traces: both confidences are judged again, by it.
    judge.reset();
    const other = (await batch(a, { session_ids: [sid('reuse-model')], metrics: ['agent_reliability'] }).expect(202))
      .body;
    await finished(a, other.id);
    expect(judge.stageRequests('confidence.evaluate')).toHaveLength(2);
    expect(judge.stageRequests('confidence.evaluate').every((r) => r.body.model === 'judge-test')).toBe(true);
    const [byDefault] = await scoresOf(a, other.id);
    expect(byDefault.metadata.signals.reused).toEqual([]);

    // The model that did score them: reused, no confidence call.
    judge.reset();
    const same = (
      await batch(a, {
        session_ids: [sid('reuse-model')],
        metrics: ['agent_reliability'],
        model: 'openai/judge-other',
      }).expect(202)
    ).body;
    await finished(a, same.id);
    expect(judge.stageRequests('confidence.evaluate')).toHaveLength(0);
    const [byOther] = await scoresOf(a, same.id);
    expect(
      byOther.metadata.signals.reused
        .filter((r: { name: string }) => r.name === 'confidence')
        .map((r: { eval_run_id: string }) => r.eval_run_id),
    ).toEqual([traceRun.body.id, traceRun.body.id]);
  });

  it('filters: user_id, tags, has_error, min_trace_count and dates select sessions; nothing matching is a 422', async () => {
    const selected = async (filters: Record<string, unknown>) => {
      const res = await create(a, { metrics: ['agent_reliability'], filters }).expect(202);
      await finished(a, res.body.id);
      return ledgerSessions(res.body.id);
    };
    const only = (...names: string[]) => names.map(sid).sort();
    expect(await selected({ user_id: 'u-2' })).toEqual(only('sess-b'));
    expect(await selected({ tags: ['prod'] })).toEqual(only('sess-a', 'sess-c'));
    expect(await selected({ has_error: true })).toEqual(only('sess-a'));
    expect(await selected({ has_error: false, user_id: 'u-1' })).toEqual(only('sess-c'));
    expect(await selected({ min_trace_count: 2, tags: ['prod', 'dev'] })).toEqual(only('sess-a', 'sess-b'));
    expect(await selected({ date_from: '2026-03-01', date_to: '2026-03-02' })).toEqual(only('sess-c'));
    const none = await create(a, { metrics: ['agent_reliability'], filters: { user_id: 'nobody' } }).expect(422);
    expect(none.body).toEqual({ detail: 'No sessions match the provided filters.' });
  });

  it('sampling is seeded and reproducible; sampling_rate 0 is a 422', async () => {
    const body = { metrics: ['agent_reliability'], filters: { tags: ['prod', 'dev'] }, sampling_rate: 0.5 };
    const first = (await create(a, { ...body, sampling_seed: 42 }).expect(202)).body;
    const second = (await create(a, { ...body, sampling_seed: 42 }).expect(202)).body;
    expect(first).toMatchObject({ total_targets: 1, sampling_seed: 42, sampling_rate: 0.5 });
    expect(await ledgerSessions(second.id)).toEqual(await ledgerSessions(first.id));
    await finished(a, first.id);
    await finished(a, second.id);
    const zero = await create(a, { ...body, sampling_rate: 0 }).expect(422);
    expect(zero.body.detail).toMatch(/^sampling_rate 0 selects no sessions/);
  });

  it('validation: unknown metrics, trace metrics, bad weights, unknown filter keys and bad dates are 422s', async () => {
    expect((await create(a, { metrics: ['confidence', 'nope'] }).expect(422)).body).toEqual({
      detail:
        'Unknown metrics: nope. confidence is a trace metric: evaluate traces with POST /evaluations/trace-runs. The session metrics are: agent_consistency, agent_reliability (GET /evaluations/session-metrics).',
    });
    for (const body of [
      { metrics: BOTH, signal_weights: { bogus: 1 } },
      { metrics: BOTH, signal_weights: { confidence: -1 } },
      { metrics: BOTH, signal_weights: { confidence: 'high' } },
      { metrics: BOTH, filters: { status: 'ERROR' } },
      { metrics: BOTH, filters: { date_from: 'yesterday' } },
      { metrics: BOTH, filters: { min_trace_count: 0 } },
      { metrics: [] },
      { metrics: BOTH, model: 'nosuchprovider/x' },
    ]) {
      const res = await create(a, body);
      expect([res.status, body]).toEqual([422, body]);
    }
    expect((await batch(a, { metrics: BOTH, session_ids: [] }).expect(422)).body.detail).toBe('Validation error');
  });

  it('signal_weights: __proto__, constructor and any unknown key are a 422 naming the key, never dropped', async () => {
    // Raw JSON text: a JS object literal cannot carry an own __proto__ key.
    const send = (path: string, json: string) =>
      t.http.post(path).set(a.headers).set('Content-Type', 'application/json').send(json);
    for (const [key, path, rest] of [
      ['__proto__', SESSION_RUNS, ''],
      ['constructor', SESSION_RUNS, ''],
      ['prototype', SESSION_RUNS, ''],
      ['bogus', SESSION_RUNS, ''],
      ['__proto__', `${SESSION_RUNS}/batch`, `, "session_ids": ["${sid('sess-a')}"]`],
      ['constructor', `${SESSION_RUNS}/batch`, `, "session_ids": ["${sid('sess-a')}"]`],
    ]) {
      const res = await send(
        path,
        `{"metrics": ${JSON.stringify(BOTH)}, "signal_weights": {"${key}": 1, "confidence": 1}${rest}}`,
      );
      expect([res.status, key, res.body.detail]).toEqual([422, key, 'Validation error']);
      expect(res.body.errors).toEqual([
        { field: 'signal_weights', message: expect.stringContaining(`signal_weights has unknown keys: ${key};`) },
      ]);
    }
    const res = await send(SESSION_RUNS, `{"metrics": ${JSON.stringify(BOTH)}, "signal_weights": {"confidence": 101}}`);
    expect(res.status).toBe(422);
    expect(res.body.errors[0].message).toMatch(/numbers between 0 and 100; not so: confidence$/);
  });

  it('batch: deduplicated ids, weights stored and applied; unknown or foreign sessions are a 422 naming them', async () => {
    const weights = { tool_correctness: 0, confidence: 0.5 };
    const res = await batch(a, {
      name: 'weighted',
      session_ids: [sid('sess-b'), sid('sess-b')],
      metrics: BOTH,
      signal_weights: weights,
    }).expect(202);
    expect(res.body).toMatchObject({
      total_targets: 1,
      sampling_rate: 1,
      filters: { session_ids: [sid('sess-b')], signal_weights: weights },
    });
    await finished(a, res.body.id);
    for (const s of await scoresOf(a, res.body.id)) {
      expect(s.metadata.signal_weights).toEqual({
        confidence: 0.5,
        loop_detection: 1,
        tool_correctness: 0,
        coherence: 1,
      });
      const expected = await expectedSessionScores(t.dataSource, a.projectId, res.body.id, s.session_id, weights);
      expect(Number(s.value)).toBe(expected[s.name]);
    }
    const missing = await batch(a, { session_ids: [sid('sess-a'), 'nope', sid('only-b')], metrics: BOTH }).expect(422);
    expect(missing.body).toEqual({ detail: `Sessions not found in this project: nope, ${sid('only-b')}` });
  });

  it('list and get: SESSION runs only, scoped to the project; 404 and 422 for other ids', async () => {
    const list = await t.http.get(SESSION_RUNS).query({ limit: 200 }).set(a.headers).expect(200);
    expect(list.body.items.length).toBeGreaterThan(3);
    expect(list.body.items.every((r: any) => r.target_type === 'SESSION' && r.project_id === a.projectId)).toBe(true);
    expect(list.body.items.map((r: any) => r.id)).toContain(fullRun.id);
    const completed = await t.http.get(SESSION_RUNS).query({ status: 'COMPLETED' }).set(a.headers).expect(200);
    expect(completed.body.items.every((r: any) => r.status === 'COMPLETED')).toBe(true);
    expect((await t.http.get(SESSION_RUNS).set(b.headers).expect(200)).body.total).toBe(0);

    expect((await t.http.get(`${SESSION_RUNS}/${fullRun.id}`).set(a.headers).expect(200)).body.id).toBe(fullRun.id);
    await t.http.get(`${SESSION_RUNS}/${fullRun.id}`).set(b.headers).expect(404);
    await t.http.get(`${SESSION_RUNS}/${fullRun.id}/scores`).set(b.headers).expect(404);
    // Trace and session routes do not answer for each other's runs (reference §10.8).
    await t.http.get(`/evaluations/trace-runs/${fullRun.id}`).set(a.headers).expect(404);
    const traceRuns = await t.http.get('/evaluations/trace-runs').set(a.headers).expect(200);
    await t.http.get(`${SESSION_RUNS}/${traceRuns.body.items[0].id}`).set(a.headers).expect(404);
    const unknown = randomUUID();
    expect((await t.http.get(`${SESSION_RUNS}/${unknown}`).set(a.headers).expect(404)).body).toEqual({
      detail: `Eval run ${unknown} not found.`,
    });
    await t.http.get(`${SESSION_RUNS}/${unknown}/scores`).set(a.headers).expect(404);
    await t.http.get(`${SESSION_RUNS}/not-a-uuid`).set(a.headers).expect(422);
  });

  it('signal failures are FAILED trace scores that do not count; session metrics still score (§3.8)', async () => {
    await ingestSession(t, a, sid('flaky'), 2);
    judge.fault({ status: 401, count: Infinity, stage: 'confidence.evaluate' });
    const run = (await batch(a, { session_ids: [sid('flaky')], metrics: BOTH }).expect(202)).body;
    const done = await finished(a, run.id);
    expect(done).toMatchObject({ status: 'COMPLETED', evaluated_count: 1, failed_count: 0, succeeded_count: 2 });
    const failedSignals = (await signalsOf(run.id)).filter((s) => s.status === 'FAILED');
    expect(failedSignals.map((s) => s.name)).toEqual(['confidence', 'confidence']);
    expect(failedSignals[0].reason).toMatch(/^Signal computation failed: /);
    const scores = await scoresOf(a, run.id);
    const consistency = scores.find((s) => s.name === 'agent_consistency');
    expect(consistency).toMatchObject({ status: 'SUCCESS', value: '1.0', reason: 'No evaluable traces.' });
    expect(consistency.metadata.signals.failed).toHaveLength(2);
  });

  it('retry re-runs exactly the failed (session, metric) pairs; 422 when nothing failed', async () => {
    const run = (await batch(a, { session_ids: [sid('sess-a'), sid('sess-b')], metrics: BOTH }).expect(202)).body;
    await finished(a, run.id);
    expect((await t.http.post(`${SESSION_RUNS}/${run.id}/retry`).set(a.headers).expect(422)).body).toEqual({
      detail: 'No failed scores to retry in this run.',
    });
    // One pair failed (as a run whose aggregation failed would leave it); the trigger updates the counters.
    await t.dataSource.query(
      `UPDATE session_scores SET status = 'FAILED', value = NULL WHERE eval_run_id = $1 AND session_id = $2 AND name = 'agent_consistency'`,
      [run.id, sid('sess-b')],
    );
    expect((await t.http.get(`${SESSION_RUNS}/${run.id}`).set(a.headers)).body).toMatchObject({
      failed_count: 1,
      succeeded_count: 3,
    });
    const retry = (await t.http.post(`${SESSION_RUNS}/${run.id}/retry`).set(a.headers).expect(202)).body;
    expect(retry).toMatchObject({
      name: `Retry: ${run.id}`,
      target_type: 'SESSION',
      metric_names: ['agent_consistency'],
      total_targets: 1,
      filters: { retry_of: run.id, session_ids: [sid('sess-b')] },
    });
    await finished(a, retry.id);
    const scores = await scoresOf(a, retry.id);
    expect(scores.map((s) => [s.session_id, s.name, s.status])).toEqual([
      [sid('sess-b'), 'agent_consistency', 'SUCCESS'],
    ]);
  });

  it('cancel: PENDING/RUNNING → CANCELLED (idempotent), 409 once finished; retry then takes the never-evaluated pairs', async () => {
    await ingestSession(t, a, sid('slow'), 2);
    const release = judge.hold();
    const run = (await batch(a, { session_ids: [sid('slow'), sid('sess-c')], metrics: BOTH }).expect(202)).body;
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 10_000;
      const poll = () =>
        judge.inFlight > 0
          ? resolve()
          : Date.now() > deadline
            ? reject(new Error('no judge call'))
            : setTimeout(poll, 20);
      poll();
    });
    const cancelled = await t.http.post(`${SESSION_RUNS}/${run.id}/cancel`).set(a.headers).expect(202);
    expect(cancelled.body.status).toBe('CANCELLED');
    await t.http.post(`${SESSION_RUNS}/${run.id}/cancel`).set(a.headers).expect(202);
    release();
    await waitForRun(t, a, run.id, {
      base: SESSION_RUNS,
      until: (r) => r.status === 'CANCELLED',
    });
    // The slow session never got its session scores: the retry takes both of its metrics.
    const retry = (await t.http.post(`${SESSION_RUNS}/${run.id}/retry`).set(a.headers).expect(202)).body;
    expect(retry.filters.session_ids).toContain(sid('slow'));
    const done = await finished(a, retry.id);
    expect(done.status).toBe('COMPLETED');
    const conflict = await t.http.post(`${SESSION_RUNS}/${retry.id}/cancel`).set(a.headers).expect(409);
    expect(conflict.body.detail).toMatch(/already COMPLETED/);
    await t.http.post(`${SESSION_RUNS}/${randomUUID()}/cancel`).set(a.headers).expect(404);
  });

  it('budgets stop a session run as they stop a trace run (FAILED, naming the budget)', async () => {
    await ingestSession(t, a, sid('budget'), 3);
    const run = (await batch(a, { session_ids: [sid('budget')], metrics: BOTH, max_judge_calls: 1 }).expect(202)).body;
    expect(run.max_judge_calls).toBe(1);
    const done = await finished(a, run.id);
    expect(done.status).toBe('FAILED');
    expect(done.error_message).toMatch(/^Judge call budget reached: max_judge_calls is 1 and \d+ calls were made/);
  });

  it('the pandaprobe SDK sends a session whose run then evaluates it', async () => {
    init({ apiKey: a.apiKey, projectName: a.projectName, endpoint: t.baseUrl, flushInterval: 3600, batchSize: 1000 });
    const session = sid('sdk');
    for (const question of ['Where is my order?', 'And when will it arrive?']) {
      await withTrace(
        'support-agent',
        { input: { messages: [{ role: 'user', content: question }] }, sessionId: session, userId: 'u-sdk' },
        async (ctx) => {
          await withSpan('lookup-order', { kind: 'TOOL' }, async (tool) => tool.setOutput({ status: 'shipped' }));
          ctx.setOutput({ messages: [{ role: 'assistant', content: `Answer to: ${question}` }] });
        },
      );
    }
    await flush();
    await waitUntil(
      async () =>
        (
          await t.http
            .post(`${SESSION_RUNS}/batch`)
            .set(a.headers)
            .send({ session_ids: [session], metrics: ['agent_reliability'] })
        ).status === 202,
      'the SDK session to be stored',
    );
    const [run] = (await t.http.get(SESSION_RUNS).set(a.headers).expect(200)).body.items;
    const done = await finished(a, run.id);
    expect(done).toMatchObject({ status: 'COMPLETED', total_targets: 1, evaluated_count: 1, succeeded_count: 1 });
    expect(await signalsOf(run.id)).toHaveLength(8);
  });

  it('delete: scores kept and unlinked by default; delete_scores=true removes session scores and signals', async () => {
    const keep = (await batch(a, { session_ids: [sid('sess-c')], metrics: BOTH }).expect(202)).body;
    await finished(a, keep.id);
    const kept = await scoresOf(a, keep.id);
    await t.http.delete(`${SESSION_RUNS}/${keep.id}`).set(b.headers).expect(404);
    await t.http.delete(`${SESSION_RUNS}/${keep.id}`).set(a.headers).expect(204);
    await t.http.get(`${SESSION_RUNS}/${keep.id}`).set(a.headers).expect(404);
    const [row] = await t.dataSource.query(`SELECT eval_run_id FROM session_scores WHERE id = $1`, [kept[0].id]);
    expect(row).toEqual({ eval_run_id: null });

    await ingestSession(t, a, sid('doomed'), 1);
    const doomed = (await batch(a, { session_ids: [sid('doomed')], metrics: BOTH }).expect(202)).body;
    await finished(a, doomed.id);
    expect(await signalsOf(doomed.id)).toHaveLength(4);
    await t.http.delete(`${SESSION_RUNS}/${doomed.id}`).query({ delete_scores: true }).set(a.headers).expect(204);
    const [left] = await t.dataSource.query(
      `SELECT (SELECT count(*)::int FROM session_scores WHERE session_id = $1) AS session_scores,
              (SELECT count(*)::int FROM trace_scores s JOIN traces t USING (trace_id) WHERE t.session_id = $1) AS signals`,
      [sid('doomed')],
    );
    expect(left).toEqual({ session_scores: 0, signals: 0 });
  });
});

/**
 * A worker process SIGKILLed in the middle of a session run (FaultInjector `kill@finish:1`: it kills
 * itself right after its first settle commits, one session written and the next one being judged);
 * a second worker takes the dead worker's items over once their leases expire. The run ends with exactly one session
 * score per (session, metric) and one signal per (trace, signal), counters equal to them.
 */
describe('session runs: a worker SIGKILLed midway', () => {
  let judge: JudgeServer;
  let t: TestApp;
  let tenant: Tenant;
  const workers: WorkerProcess[] = [];
  let env: Record<string, string>;
  const start = async (extra: Record<string, string> = {}) => {
    const w = await startWorkerProcess({ ...env, ...extra });
    workers.push(w);
    return w;
  };

  beforeAll(async () => {
    await buildWorker();
    await abandonStaleRuns();
    judge = await startJudgeServer();
    env = evalRunTestEnv(judge.baseUrl, 'srk', {
      EVAL_SWEEP_INTERVAL_MS: '300',
      EVAL_ITEM_LEASE_MS: '2000',
      EVAL_WORKER_CONCURRENCY: '1',
      RUN_WORKER_IN_PROCESS: 'false',
    });
    t = await createTestApp(env);
    tenant = await createTenant(t);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill('SIGKILL')));
    await t?.close();
    await judge?.close();
  });

  it('ends COMPLETED with exactly the expected session scores and signals', async () => {
    const tag = randomUUID().slice(0, 6);
    const ids = ['k1', 'k2', 'k3', 'k4'].map((k) => `${k}-${tag}`);
    for (const id of ids) await ingestSession(t, tenant, id, 3);
    const doomed = await start({ EVAL_FAULTS: 'kill@finish:1' });
    const run = (
      await t.http
        .post(`${SESSION_RUNS}/batch`)
        .set(tenant.headers)
        .send({ session_ids: ids, metrics: BOTH })
        .expect(202)
    ).body;
    await doomed.exited;
    expect(doomed.child.signalCode).toBe('SIGKILL');
    // Killed right after its first write committed: the first session is written (its 3 traces' 12
    // signals, its 2 scores), the second (claimed with it, one slot) was being judged.
    const [midway] = await t.dataSource.query(
      `SELECT (SELECT count(*)::int FROM trace_scores WHERE eval_run_id = $1) AS signals,
              (SELECT count(*)::int FROM eval_run_items WHERE run_id = $1 AND state = 'DONE') AS done`,
      [run.id],
    );
    expect(midway).toEqual({ signals: 12, done: 1 });

    await start();
    const done = await waitForRun(t, tenant, run.id, { base: SESSION_RUNS, timeoutMs: 60_000 });
    expect(done).toMatchObject({ status: 'COMPLETED', evaluated_count: 4, failed_count: 0, succeeded_count: 8 });

    const scores = await t.dataSource.query(
      `SELECT session_id, name, status, value FROM session_scores WHERE eval_run_id = $1 ORDER BY session_id, name`,
      [run.id],
    );
    expect(scores.map((s: any) => `${s.session_id}/${s.name}/${s.status}`)).toEqual(
      [...ids].sort().flatMap((id) => [`${id}/agent_consistency/SUCCESS`, `${id}/agent_reliability/SUCCESS`]),
    );
    for (const s of scores) {
      const expected = await expectedSessionScores(t.dataSource, tenant.projectId, run.id, s.session_id);
      expect(Number(s.value)).toBe(expected[s.name]);
    }
    const [signals] = await t.dataSource.query(
      `SELECT count(*)::int AS n, count(DISTINCT (trace_id, name))::int AS pairs,
              count(*) FILTER (WHERE status = 'SUCCESS')::int AS ok
       FROM trace_scores WHERE eval_run_id = $1`,
      [run.id],
    );
    expect(signals).toEqual({ n: 48, pairs: 48, ok: 48 });
    const [ledger] = await t.dataSource.query(
      `SELECT count(*) FILTER (WHERE state <> 'DONE')::int AS open, max(attempts)::int AS max_attempts,
              count(*) FILTER (WHERE last_error IS NOT NULL)::int AS with_error
       FROM eval_run_items WHERE run_id = $1`,
      [run.id],
    );
    // The item the dead worker held was claimed again.
    expect(ledger).toEqual({ open: 0, max_attempts: 2, with_error: 0 });
    await waitUntil(() => judge.inFlight === 0, 'no judge call left in flight');
  }, 120_000);
  it('a session whose traces were deleted before its turn is finished with the reason and no score', async () => {
    for (const w of workers) await w.kill('SIGTERM');
    const tag = randomUUID().slice(0, 6);
    const [gone] = await ingestSession(t, tenant, `gone-${tag}`, 1);
    await ingestSession(t, tenant, `kept-${tag}`, 1);
    const run = (
      await t.http
        .post(`${SESSION_RUNS}/batch`)
        .set(tenant.headers)
        .send({ session_ids: [`gone-${tag}`, `kept-${tag}`], metrics: BOTH })
        .expect(202)
    ).body;
    await t.http.delete(`/traces/${gone.trace_id}`).set(tenant.headers).expect(204);
    await start();
    const done = await waitForRun(t, tenant, run.id, { base: SESSION_RUNS, timeoutMs: 60_000 });
    expect(done).toMatchObject({ status: 'COMPLETED', evaluated_count: 2, failed_count: 0, succeeded_count: 2 });
    const items = await t.dataSource.query(
      `SELECT session_id, state, last_error FROM eval_run_items WHERE run_id = $1 ORDER BY session_id`,
      [run.id],
    );
    expect(items).toEqual([
      {
        session_id: `gone-${tag}`,
        state: 'DONE',
        last_error: `Session gone-${tag} has no traces in this project any more; nothing was scored.`,
      },
      { session_id: `kept-${tag}`, state: 'DONE', last_error: null },
    ]);
  }, 120_000);
});
