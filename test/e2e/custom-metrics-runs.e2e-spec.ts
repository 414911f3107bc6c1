import {
  evalRunTestEnv,
  expectCountersEqualStored,
  runLedgerSummary,
  waitForRun,
  waitUntil,
} from '../factories/eval-run.factory';
import { createMonitor, MONITORS } from '../factories/monitor.factory';
import { ingestTrace } from '../factories/trace.factory';
import { JudgeServer, startJudgeServer } from '../support/judge-server';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

const RUNS = '/evaluations/trace-runs';
const METRICS = '/evaluations/custom-metrics';

/**
 * Custom metrics in trace runs, batch runs and monitors, judged by the scripted judge from the
 * prompt it is sent (a `<<value>>` marker in each trace's output): typed scores, the version each
 * score came from, versions that never mix, budgets and transcripts as for built-in metrics.
 */
describe('custom metrics in runs and monitors', () => {
  let judge: JudgeServer;
  let t: TestApp;
  let a: Tenant;
  let b: Tenant;
  /** trace id → the answer its output asks the judge for. */
  const expected = new Map<string, string>();

  beforeAll(async () => {
    judge = await startJudgeServer();
    t = await createTestApp(
      evalRunTestEnv(judge.baseUrl, 'cmr', {
        RUN_WORKER_IN_PROCESS: 'true',
        MONITOR_SCHEDULER_ENABLED: 'false',
        MONITOR_INGEST_GRACE_MS: '0',
      }),
    );
    a = await createTenant(t);
    b = await createTenant(t);
    for (const [i, answer] of ['false', 'true', 'true'].entries()) {
      const trace = await ingestTrace(t, a, {
        tags: ['refunds'],
        output: `Refund ${i} handled <<${answer}>>`,
        started_at: `2026-03-0${i + 1}T10:00:00Z`,
        ended_at: `2026-03-0${i + 1}T10:00:01Z`,
      });
      expected.set(trace.trace_id, answer);
    }
    await t.http
      .post(METRICS)
      .set(a.headers)
      .send({ name: 'refund_ok', output_type: 'BOOLEAN', prompt_template: 'Was the refund within policy?\n{{output}}' })
      .expect(201);
  });
  afterAll(async () => {
    await t?.close();
    await judge?.close();
  });
  beforeEach(() => judge.reset());

  const createRun = (tenant: Tenant, body: object) => t.http.post(RUNS).set(tenant.headers).send(body);
  const scoresOf = async (runId: string) =>
    (await t.http.get(`${RUNS}/${runId}/scores`).set(a.headers).expect(200)).body as any[];
  const run = async (body: object) => {
    const created = (await createRun(a, body).expect(202)).body;
    const done = await waitForRun(t, a, created.id);
    return { run: done, scores: await scoresOf(created.id) };
  };
  const listScores = async (query: Record<string, string>) =>
    (await t.http.get('/evaluations/trace-scores').query(query).set(a.headers).expect(200)).body;

  it('a run with a custom BOOLEAN metric: typed scores with the version, next to built-in ones', async () => {
    const { run: done, scores } = await run({ metrics: ['refund_ok', 'confidence'], filters: { tags: ['refunds'] } });
    expect(done).toMatchObject({ status: 'COMPLETED', metric_names: ['refund_ok', 'confidence'], failed_count: 0 });
    const custom = scores.filter((s) => s.name === 'refund_ok');
    expect(custom).toHaveLength(3);
    for (const s of custom) {
      expect(s).toMatchObject({
        data_type: 'BOOLEAN',
        status: 'SUCCESS',
        source: 'AUTOMATED',
        value: expected.get(s.trace_id),
      });
      expect(s.metadata).toMatchObject({ metric_version: '1', success: s.value === 'true' });
      expect(s.metadata.judge_usage.calls).toBe(1);
    }
    expect(scores.filter((s) => s.name === 'confidence').every((s) => s.data_type === 'NUMERIC')).toBe(true);
    // One judge call per trace for the rubric; what it sent is the score's transcript.
    const calls = judge.stageRequests('refund_ok.judge');
    expect(calls).toHaveLength(3);
    const transcript = (
      await t.http.get(`/evaluations/trace-scores/${custom[0].id}/transcript`).set(a.headers).expect(200)
    ).body;
    expect(transcript.metric_version).toBe('1');
    expect(transcript.attempts).toHaveLength(1);
    expect(transcript.attempts[0].stage).toBe('refund_ok.judge');
    expect(calls.map((c) => c.prompt)).toContain(transcript.attempts[0].prompt);
    expect(transcript.attempts[0].prompt).toContain('Was the refund within policy?');
  });

  it('a run with a custom CATEGORICAL metric: the label as value, success from the success labels', async () => {
    await t.http
      .post(METRICS)
      .set(a.headers)
      .send({
        name: 'routing',
        output_type: 'CATEGORICAL',
        labels: ['refund', 'escalate'],
        success_labels: ['refund'],
        prompt_template: 'Where should this go? {{output}}',
      })
      .expect(201);
    const ids = [...expected.keys()];
    await ingestTrace(t, a, { output: 'Angry customer <<escalate>>' }).then((tr) => ids.push(tr.trace_id));
    const created = (
      await t.http
        .post(`${RUNS}/batch`)
        .set(a.headers)
        .send({ metrics: ['routing'], trace_ids: ids })
        .expect(202)
    ).body;
    await waitForRun(t, a, created.id);
    const scores = await scoresOf(created.id);
    expect(scores).toHaveLength(4);
    const byTrace = new Map(scores.map((s) => [s.trace_id, s]));
    // No label marker in the output: the scripted judge answers the first label.
    expect(ids.slice(0, 3).map((id) => byTrace.get(id).value)).toEqual(['refund', 'refund', 'refund']);
    expect(byTrace.get(ids[3])).toMatchObject({ data_type: 'CATEGORICAL', value: 'escalate' });
    expect(byTrace.get(ids[3]).metadata).toMatchObject({ success: false, metric_version: '1' });
    expect(byTrace.get(ids[0]).metadata.success).toBe(true);

    // The run template shows the rubric filled from the sample trace, as the judge would get it.
    const template = (await t.http.get(`${RUNS}/template`).query({ metric: 'routing' }).set(a.headers).expect(200))
      .body;
    expect(template.metric).toMatchObject({ name: 'routing', category: 'custom', default_threshold: 0.5 });
    expect(template.metric.prompt_preview).toHaveLength(1);
    expect(template.metric.prompt_preview[0].stage).toBe('judge');
    expect(template.metric.prompt_preview[0].prompt).toContain('[stage: routing.judge]\n');
    expect(template.metric.prompt_preview[0].prompt).toContain('Where should this go? ');
    await t.http.get(`${RUNS}/template`).query({ metric: 'routing' }).set(b.headers).expect(422);
  });

  it('an edit makes version 2; a second run uses it; both versions’ scores stay intact and filterable', async () => {
    const v1 = await listScores({ name: 'refund_ok', metric_version: '1', limit: '200' });
    expect(v1.total).toBe(3);
    await t.http
      .patch(`${METRICS}/refund_ok`)
      .set(a.headers)
      .send({ prompt_template: 'Refund policy v2: 14 days.\n{{output}}' })
      .expect(200);
    const { scores } = await run({ metrics: ['refund_ok'], filters: { tags: ['refunds'] } });
    expect(scores.map((s) => s.metadata.metric_version)).toEqual(['2', '2', '2']);
    expect(judge.stageRequests('refund_ok.judge').every((r) => r.prompt.includes('Refund policy v2'))).toBe(true);
    const again = await listScores({ name: 'refund_ok', metric_version: '1', limit: '200' });
    expect(again.items.map((s: any) => [s.id, s.value])).toEqual(v1.items.map((s: any) => [s.id, s.value]));
    expect((await listScores({ name: 'refund_ok', metric_version: '2' })).total).toBe(3);
    expect((await listScores({ name: 'refund_ok' })).total).toBe(6);

    // Charts per version: a histogram counts this version's scores only (BOOLEAN ones as non-numeric),
    // a trend of a built-in metric filters by its prompt hash.
    const histogram = async (version: string) =>
      (
        await t.http
          .get('/evaluations/analytics/trace-scores/distribution')
          .query({ metric_name: 'refund_ok', metric_version: version, buckets: '2' })
          .set(a.headers)
          .expect(200)
      ).body[0].non_numeric_count;
    expect([await histogram('1'), await histogram('2'), await histogram('9')]).toEqual([3, 3, 0]);
    const confidenceVersion = (await listScores({ name: 'confidence' })).items[0].metadata.metric_version;
    const trend = async (version: string) =>
      (
        await t.http
          .get('/evaluations/analytics/trace-scores/trend')
          .query({ metric_name: 'confidence', metric_version: version })
          .set(a.headers)
          .expect(200)
      ).body.reduce((n: number, b: { count: number }) => n + b.count, 0);
    expect([await trend(confidenceVersion), await trend('000000000000')]).toEqual([3, 0]);

    // Agreement per version: a person labels one trace; each version is compared on its own.
    const [traceId, answer] = [...expected.entries()][0];
    await t.http
      .post('/evaluations/trace-scores')
      .set(a.headers)
      .send({ trace_id: traceId, name: 'refund_ok', value: answer, data_type: 'BOOLEAN' })
      .expect(201);
    for (const version of ['1', '2']) {
      const agreement = await t.http
        .get('/evaluations/analytics/trace-scores/agreement')
        .query({ metric_name: 'refund_ok', metric_version: version })
        .set(a.headers)
        .expect(200);
      expect(agreement.body).toMatchObject({ metric_version: version, n: 1, accuracy: 1 });
    }
  });

  it('a monitor with a custom metric scores new traces once', async () => {
    await ingestTrace(t, a, { tags: ['watched'], output: 'late refund <<false>>' });
    const m = await createMonitor(t, a, { metrics: ['refund_ok'], filters: { tags: ['watched'] }, scope: 'new' });
    const fired = (await t.http.post(`${MONITORS}/${m.id}/trigger`).set(a.headers).expect(202)).body;
    await waitForRun(t, a, fired.id);
    const scores = await scoresOf(fired.id);
    expect(scores).toHaveLength(1);
    expect(scores[0]).toMatchObject({ data_type: 'BOOLEAN', value: 'false' });
    expect(scores[0].metadata.metric_version).toBe('2');
    // Nothing new since: no second run, no second score.
    await t.http.post(`${MONITORS}/${m.id}/trigger`).set(a.headers).expect(422);
    expect((await listScores({ name: 'refund_ok', trace_id: scores[0].trace_id })).total).toBe(1);
    expect(judge.stageRequests('refund_ok.judge')).toHaveLength(1);
  });

  it('budgets apply as to built-in metrics: max_judge_calls stops the run after that many calls', async () => {
    const created = (
      await createRun(a, { metrics: ['refund_ok'], filters: { tags: ['refunds'] }, max_judge_calls: 2 }).expect(202)
    ).body;
    const done = await waitForRun(t, a, created.id);
    expect(done.status).toBe('FAILED');
    expect(done.error_message).toMatch(/^Judge call budget reached: max_judge_calls is 2 /);
    await waitUntil(async () => (await runLedgerSummary(t.dataSource, created.id)).leased === 0, 'no lease left');
    await waitUntil(() => judge.inFlight === 0, 'no judge call in flight');
    expect(judge.stageRequests('refund_ok.judge')).toHaveLength(2);
    const [row] = await t.dataSource.query(`SELECT judge_calls, judge_calls_reserved FROM eval_runs WHERE id = $1`, [
      created.id,
    ]);
    expect(row).toEqual({ judge_calls: 2, judge_calls_reserved: 2 });
    expect((await scoresOf(created.id)).length).toBeGreaterThan(0);
    await expectCountersEqualStored(t.dataSource, created.id);
  });

  it('a template showing {{session_history}}: each trace judged with its session’s earlier turns', async () => {
    await t.http
      .post(METRICS)
      .set(a.headers)
      .send({ name: 'follows_up', output_type: 'BOOLEAN', prompt_template: 'Before: {{session_history}} Now: {{output}}' })
      .expect(201);
    const turn = (tenant: Tenant, session: string | undefined, n: number, word: string) =>
      ingestTrace(t, tenant, {
        ...(session ? { session_id: session } : {}),
        input: `question ${word}`,
        output: `answer ${word}`,
        started_at: `2026-04-01T10:0${n}:00Z`,
        ended_at: `2026-04-01T10:0${n}:01Z`,
      });
    // Same session id in another project, and another session of this project, both earlier.
    await turn(b, 'chat-h', 0, 'foreign');
    await turn(a, 'chat-other', 0, 'elsewhere');
    await turn(a, 'chat-h', 1, 'first');
    const second = await turn(a, 'chat-h', 2, 'second');
    const later = await turn(a, 'chat-h', 3, 'third');
    const alone = await turn(a, undefined, 4, 'alone');
    const created = (
      await t.http
        .post(`${RUNS}/batch`)
        .set(a.headers)
        .send({ metrics: ['follows_up'], trace_ids: [second.trace_id, later.trace_id, alone.trace_id] })
        .expect(202)
    ).body;
    expect((await waitForRun(t, a, created.id)).status).toBe('COMPLETED');
    const prompts = judge.stageRequests('follows_up.judge').map((c) => c.prompt);
    expect(prompts).toHaveLength(3);
    const promptOf = (word: string) => prompts.find((p) => p.includes(`Now: "answer ${word}"`))!;
    expect(promptOf('third')).toContain(
      'Before: Turn 1 input: "question first"\nTurn 1 output: "answer first"\n' +
        'Turn 2 input: "question second"\nTurn 2 output: "answer second" Now: "answer third"',
    );
    expect(promptOf('second')).toContain(
      'Before: Turn 1 input: "question first"\nTurn 1 output: "answer first" Now: "answer second"',
    );
    for (const p of prompts) expect(p).not.toMatch(/foreign|elsewhere/);
    // No session: the preview's empty rendering.
    expect(promptOf('alone')).toContain('Before: (no earlier turns in this session) Now: "answer alone"');
    // Monitors take it too (they run the same trace runs).
    await t.http
      .post(MONITORS)
      .set(a.headers)
      .send({ name: 'follow-ups', target_type: 'TRACE', metrics: ['follows_up'], cadence: 'daily' })
      .expect(201);
  });

  it('refuses at creation: another project’s metric, an unknown one', async () => {
    const foreign = await createRun(b, { metrics: ['refund_ok'], filters: {} }).expect(422);
    expect(JSON.stringify(foreign.body)).toContain('refund_ok');
    await t.http
      .post(MONITORS)
      .set(b.headers)
      .send({ name: 'x', target_type: 'TRACE', metrics: ['refund_ok'], cadence: 'daily' })
      .expect(422);
    await createRun(a, { metrics: ['no_such_metric'], filters: {} }).expect(422);
    // Listed for the pickers, in runs' terms.
    const listed = (await t.http.get('/evaluations/trace-metrics').set(a.headers).expect(200)).body as any[];
    expect(listed.filter((x) => x.category === 'custom').map((x) => x.name)).toEqual([
      'follows_up',
      'refund_ok',
      'routing',
    ]);
  });
});
