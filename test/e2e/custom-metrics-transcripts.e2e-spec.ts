import { evalRunTestEnv, waitForRun } from '../factories/eval-run.factory';
import { ingestTrace } from '../factories/trace.factory';
import { JudgeServer, startJudgeServer } from '../support/judge-server';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

const RUNS = '/evaluations/trace-runs';

/**
 * The trace-metrics catalogue with custom metrics, built-in metric versions on scores, and judge
 * transcripts (stored deduplicated, read per score, removed with it, opt-out per project).
 */
describe('trace-metrics catalogue, metric versions and judge transcripts', () => {
  let judge: JudgeServer;
  let t: TestApp;
  let a: Tenant;
  let b: Tenant;
  let traceId: string;

  beforeAll(async () => {
    judge = await startJudgeServer();
    t = await createTestApp(evalRunTestEnv(judge.baseUrl, 'cmt', { RUN_WORKER_IN_PROCESS: 'true' }));
    a = await createTenant(t);
    b = await createTenant(t);
    traceId = (
      await ingestTrace(t, a, {
        input: { messages: [{ role: 'user', content: 'Where is my parcel?' }] },
        output: { messages: [{ role: 'assistant', content: 'It arrives tomorrow.' }] },
      })
    ).trace_id;
  });
  afterAll(async () => {
    await t?.close();
    await judge?.close();
  });
  beforeEach(() => judge.reset());

  const runOnce = async (tenant: Tenant, metrics: string[]) => {
    const run = (await t.http.post(RUNS).set(tenant.headers).send({ metrics, filters: {} }).expect(202)).body;
    await waitForRun(t, tenant, run.id);
    return (await t.http.get(`${RUNS}/${run.id}/scores`).set(tenant.headers).expect(200)).body as any[];
  };
  const blobCount = async () =>
    Number(
      (
        await t.dataSource.query(`SELECT count(*)::int AS n FROM judge_transcript_blobs WHERE project_id = $1`, [
          a.projectId,
        ])
      )[0].n,
    );

  it('lists the built-in metrics, then the project’s custom metrics with category custom', async () => {
    await t.http
      .post('/evaluations/custom-metrics')
      .set(a.headers)
      .send({
        name: 'on_brand',
        description: 'Tone fits the brand.',
        output_type: 'BOOLEAN',
        prompt_template: 'On brand? {{output}}',
      })
      .expect(201);
    const listed = (await t.http.get('/evaluations/trace-metrics').set(a.headers).expect(200)).body as any[];
    expect(listed.filter((m) => m.category === 'trace').map((m) => m.name)).toHaveLength(8);
    expect(listed[listed.length - 1]).toEqual({
      name: 'on_brand',
      description: 'Tone fits the brand.',
      category: 'custom',
    });
    // Another project sees only the built-in ones.
    const other = (await t.http.get('/evaluations/trace-metrics').set(b.headers).expect(200)).body as any[];
    expect(other.map((m) => m.category)).toEqual(Array(8).fill('trace'));
  });

  it('records the built-in metric version (a stable prompt hash) on every score; scores filter by it', async () => {
    const scores = await runOnce(a, ['plan_quality']);
    expect(scores).toHaveLength(1);
    const version = scores[0].metadata.metric_version;
    expect(version).toMatch(/^[0-9a-f]{12}$/);
    const again = await runOnce(a, ['plan_quality']);
    expect(again[0].metadata.metric_version).toBe(version);
    const listed = await t.http
      .get('/evaluations/trace-scores')
      .query({ name: 'plan_quality', metric_version: version })
      .set(a.headers)
      .expect(200);
    expect(listed.body.total).toBe(2);
    const none = await t.http
      .get('/evaluations/trace-scores')
      .query({ name: 'plan_quality', metric_version: 'ffffffffffff' })
      .set(a.headers)
      .expect(200);
    expect(none.body.total).toBe(0);
  });

  it('stores a reason cut in the middle of an emoji (a lone surrogate) with U+FFFD in its place', async () => {
    judge.answer('plan_quality.score', { score: 0.5, reason: 'Fine \ud83d' });
    const [score] = await runOnce(a, ['plan_quality']);
    expect(score).toMatchObject({ status: 'SUCCESS', reason: 'Fine \ufffd' });
  });

  it('keeps the transcript of a failed-then-retried judgment: both attempts, the error, the usage', async () => {
    judge.fault({ status: 500, stage: 'plan_quality.score', count: 1 });
    const [score] = await runOnce(a, ['plan_quality']);
    expect(score.status).toBe('SUCCESS');
    const res = await t.http.get(`/evaluations/trace-scores/${score.id}/transcript`).set(a.headers).expect(200);
    expect(res.body).toMatchObject({ score_id: score.id, trace_id: traceId, name: 'plan_quality' });
    expect(res.body.metric_version).toBe(score.metadata.metric_version);
    const attempts = res.body.attempts as any[];
    // plan_quality extracts the task and the plan first, then scores: the score stage failed once.
    expect(attempts.map((x) => [x.stage, x.attempt, x.error === null])).toEqual([
      ['step_efficiency.extract_task', 1, true],
      ['plan_adherence.extract_plan', 1, true],
      ['plan_quality.score', 1, false],
      ['plan_quality.score', 2, true],
    ]);
    const [failed, answered] = attempts.slice(2);
    expect(failed.error).toContain('500');
    expect(failed.answer).toBeNull();
    // What the judge got is what was sent: the request log has the same prompt twice.
    const sent = judge.stageRequests('plan_quality.score').map((r) => r.prompt);
    expect(sent).toEqual([failed.prompt, answered.prompt]);
    expect(failed.system).toContain('You grade AI agent runs');
    expect(JSON.parse(answered.answer)).toEqual({ score: 0.75, reason: 'The plan is sound but thin on detail.' });
    expect(answered.input_tokens).toBeGreaterThan(0);
    expect(answered.output_tokens).toBeGreaterThan(0);
    expect(answered.latency_ms).toBeGreaterThanOrEqual(0);
    // Each text is stored once: the system prompt sent four times, the score prompt sent twice.
    const texts = attempts.flatMap((x) => [x.system, x.prompt, ...(x.answer === null ? [] : [x.answer])]);
    expect(texts).toHaveLength(11);
    const [row] = await t.dataSource.query(`SELECT blob_hashes FROM judge_transcripts WHERE score_id = $1`, [score.id]);
    expect(row.blob_hashes).toHaveLength(new Set(texts).size);
    expect(new Set(texts).size).toBe(7);

    // Another project: 404, never the transcript.
    await t.http.get(`/evaluations/trace-scores/${score.id}/transcript`).set(b.headers).expect(404);
  });

  it('removes a transcript with its score, and the texts no other transcript uses', async () => {
    const [score] = await runOnce(a, ['plan_quality']);
    await t.http.get(`/evaluations/trace-scores/${score.id}/transcript`).set(a.headers).expect(200);
    const before = await blobCount();
    const [mine] = await t.dataSource.query(`SELECT blob_hashes FROM judge_transcripts WHERE score_id = $1`, [
      score.id,
    ]);
    await t.http.delete(`/evaluations/trace-scores/${score.id}`).set(a.headers).expect(204);
    await t.http.get(`/evaluations/trace-scores/${score.id}/transcript`).set(a.headers).expect(404);
    expect(await t.dataSource.query(`SELECT 1 FROM judge_transcripts WHERE score_id = $1`, [score.id])).toEqual([]);
    // The texts are shared with the earlier runs' transcripts of the same prompt: all still there.
    expect(await blobCount()).toBe(before);
    // Deleting every score of the project leaves no text behind.
    await t.dataSource.query(`DELETE FROM trace_scores WHERE project_id = $1`, [a.projectId]);
    expect(await blobCount()).toBe(0);
    expect(mine.blob_hashes.length).toBeGreaterThan(0);
  });

  it('stores no transcript for a project that opted out; the setting reads back', async () => {
    expect((await t.http.get('/evaluations/transcript-settings').set(a.headers).expect(200)).body).toEqual({
      enabled: true,
    });
    await t.http.put('/evaluations/transcript-settings').set(a.headers).send({ enabled: 'no' }).expect(422);
    await t.http.put('/evaluations/transcript-settings').set(a.headers).send({ enabled: false }).expect(200);
    expect((await t.http.get('/evaluations/transcript-settings').set(a.headers).expect(200)).body).toEqual({
      enabled: false,
    });
    expect((await t.http.get('/evaluations/transcript-settings').set(b.headers).expect(200)).body).toEqual({
      enabled: true,
    });
    const [score] = await runOnce(a, ['plan_quality']);
    expect(score.status).toBe('SUCCESS');
    const none = await t.http.get(`/evaluations/trace-scores/${score.id}/transcript`).set(a.headers).expect(200);
    expect(none.body).toMatchObject({ score_id: score.id, attempts: [], created_at: null });
    expect(await blobCount()).toBe(0);
    await t.http.put('/evaluations/transcript-settings').set(a.headers).send({ enabled: true }).expect(200);
  });
});
