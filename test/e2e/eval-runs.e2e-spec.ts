import { randomUUID } from 'node:crypto';
import { evalRunTestEnv, runTraceIds, waitForRun } from '../factories/eval-run.factory';
import { at, ingestTrace, TracePayload } from '../factories/trace.factory';
import { JudgeServer, startJudgeServer } from '../support/judge-server';
import { createTenant, createMember, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

const TRACE_METRICS =
  'The trace metrics are: argument_correctness, coherence, confidence, plan_adherence, plan_quality, step_efficiency, task_completion, tool_correctness (GET /evaluations/trace-metrics).';

const RUNS = '/evaluations/trace-runs';

/** Every key of the original EvalRunResponse, plus ours. */
const RUN_KEYS = [
  'id',
  'name',
  'status',
  'metric_names',
  'total_targets',
  'total_traces',
  'evaluated_count',
  'failed_count',
  'succeeded_count',
  'created_at',
  'started_at',
  'completed_at',
  'project_id',
  'target_type',
  'filters',
  'sampling_rate',
  'sampling_seed',
  'model',
  'monitor_id',
  'error_message',
  'judge_usage',
  'max_judge_calls',
  'max_judge_tokens',
].sort();

describe('eval runs (HTTP, in-process worker, scripted judge)', () => {
  let judge: JudgeServer;
  let t: TestApp;
  let a: Tenant;
  let b: Tenant;
  /** Traces of tenant a, by label. */
  const traces: Record<string, TracePayload> = {};

  beforeAll(async () => {
    judge = await startJudgeServer();
    t = await createTestApp(evalRunTestEnv(judge.baseUrl, 'er', { RUN_WORKER_IN_PROCESS: 'true' }));
    a = await createTenant(t);
    b = await createTenant(t);
    const add = async (label: string, o: Partial<TracePayload>) => (traces[label] = await ingestTrace(t, a, o));
    await add('alpha', {
      name: 'Checkout Alpha',
      status: 'COMPLETED',
      session_id: 's-1',
      user_id: 'u-1',
      tags: ['prod', 'x'],
      environment: 'production',
      started_at: '2026-01-10T10:00:00Z',
      ended_at: '2026-01-10T10:00:01Z',
    });
    await add('beta', {
      name: 'checkout beta',
      status: 'ERROR',
      session_id: 's-1',
      user_id: 'u-2',
      tags: ['dev'],
      environment: 'staging',
      started_at: '2026-01-11T00:00:00Z',
      ended_at: '2026-01-11T00:00:01Z',
    });
    await add('gamma', {
      name: 'search gamma',
      status: 'COMPLETED',
      session_id: 's-2',
      user_id: 'u-1',
      tags: ['prod'],
      started_at: '2026-01-12T23:59:59Z',
      ended_at: '2026-01-13T00:00:01Z',
    });
    await add('delta', {
      name: 'search 100%_delta',
      status: 'COMPLETED',
      session_id: 's-3',
      user_id: 'u-3',
      tags: [],
      started_at: '2026-01-13T00:00:00Z',
      ended_at: '2026-01-13T00:00:02Z',
    });
  });

  afterAll(async () => {
    await t?.close();
    await judge?.close();
  });

  beforeEach(() => judge.reset());

  const create = (tenant: Tenant, body: Record<string, unknown>) => t.http.post(RUNS).set(tenant.headers).send(body);
  const scoresOf = async (tenant: Tenant, runId: string) =>
    (await t.http.get(`${RUNS}/${runId}/scores`).set(tenant.headers).expect(200)).body as any[];

  describe('create a filtered run', () => {
    it('answers 202 with the full PENDING run, then completes with one score per trace and metric', async () => {
      const res = await create(a, {
        name: 'all',
        metrics: ['confidence', 'plan_quality', 'confidence'],
        filters: {},
      }).expect(202);
      const run = res.body;
      expect(Object.keys(run).sort()).toEqual(RUN_KEYS);
      expect(run).toMatchObject({
        name: 'all',
        status: 'PENDING',
        metric_names: ['confidence', 'plan_quality'],
        total_targets: 4,
        total_traces: 4,
        evaluated_count: 0,
        failed_count: 0,
        succeeded_count: 0,
        completed_at: null,
        started_at: null,
        project_id: a.projectId,
        target_type: 'TRACE',
        filters: {},
        sampling_rate: 1,
        model: 'openai/judge-test',
        monitor_id: null,
        error_message: null,
        judge_usage: { calls: 0, input_tokens: 0, output_tokens: 0, latency_ms: 0 },
      });
      expect(Number.isInteger(run.sampling_seed)).toBe(true);
      expect(run.id).toMatch(/^[0-9a-f-]{36}$/);

      const done = await waitForRun(t, a, run.id);
      expect(done).toMatchObject({
        status: 'COMPLETED',
        evaluated_count: 4,
        failed_count: 0,
        succeeded_count: 8,
        error_message: null,
      });
      expect(done.started_at).not.toBeNull();
      expect(done.completed_at).not.toBeNull();
      // plan_quality also extracts the task and the plan (shared per trace), so calls > pairs.
      expect(done.judge_usage.calls).toBeGreaterThanOrEqual(8);
      expect(done.judge_usage.input_tokens).toBeGreaterThan(0);

      const scores = await scoresOf(a, run.id);
      expect(scores).toHaveLength(8);
      const byPair = new Map(scores.map((s) => [`${s.trace_id}:${s.name}`, s]));
      expect(byPair.size).toBe(8);
      const alphaConfidence = byPair.get(`${traces.alpha.trace_id}:confidence`)!;
      expect(alphaConfidence).toMatchObject({
        value: '0.85',
        status: 'SUCCESS',
        source: 'AUTOMATED',
        data_type: 'NUMERIC',
        eval_run_id: run.id,
        project_id: a.projectId,
        environment: 'production',
      });
      expect(alphaConfidence.metadata.judge_usage).toMatchObject({ model: 'openai/judge-test', calls: 1 });
      // The run's usage is the sum of its scores' usage.
      const sum = (k: string) => scores.reduce((n, s) => n + s.metadata.judge_usage[k], 0);
      expect(done.judge_usage).toEqual({
        calls: sum('calls'),
        input_tokens: sum('input_tokens'),
        output_tokens: sum('output_tokens'),
        latency_ms: expect.any(Number),
        unknown_token_scores: 0,
      });
      expect(byPair.get(`${traces.beta.trace_id}:plan_quality`)).toMatchObject({
        value: '0.75',
        environment: 'staging',
      });
      // newest first
      const created = scores.map((s) => Date.parse(s.created_at));
      expect([...created].sort((x, y) => y - x)).toEqual(created);
    });

    it.each([
      ['date_from (bare date = UTC midnight, inclusive)', { date_from: '2026-01-12' }, ['gamma', 'delta']],
      ['date_to (exclusive, no offset = UTC)', { date_to: '2026-01-13T00:00:00' }, ['alpha', 'beta', 'gamma']],
      ['date range with offset', { date_from: '2026-01-11T01:00:00+02:00', date_to: '2026-01-13' }, ['beta', 'gamma']],
      ['status', { status: 'ERROR' }, ['beta']],
      ['session_id', { session_id: 's-1' }, ['alpha', 'beta']],
      ['user_id', { user_id: 'u-1' }, ['alpha', 'gamma']],
      ['tags (any)', { tags: ['dev', 'x'] }, ['alpha', 'beta']],
      ['name (case-insensitive substring)', { name: 'CHECKOUT' }, ['alpha', 'beta']],
      ['name with LIKE wildcards taken literally', { name: '100%_' }, ['delta']],
      ['combined', { session_id: 's-1', status: 'COMPLETED', tags: ['prod'] }, ['alpha']],
      [
        'nulls and empty values mean no condition',
        { status: null, tags: [], name: '' },
        ['alpha', 'beta', 'gamma', 'delta'],
      ],
    ])('filters by %s', async (_label, filters, expected) => {
      const res = await create(a, { metrics: ['confidence'], filters }).expect(202);
      expect(res.body.total_targets).toBe(expected.length);
      const stored = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== null));
      expect(res.body.filters).toEqual(stored);
      expect(await runTraceIds(t.dataSource, res.body.id)).toEqual(expected.map((l) => traces[l].trace_id).sort());
      const done = await waitForRun(t, a, res.body.id);
      expect(done).toMatchObject({ status: 'COMPLETED', evaluated_count: expected.length, failed_count: 0 });
      expect((await scoresOf(a, res.body.id)).map((s) => s.trace_id).sort()).toEqual(
        expected.map((l) => traces[l].trace_id).sort(),
      );
    });
  });

  describe('sampling', () => {
    let tenant: Tenant;
    beforeAll(async () => {
      tenant = await createTenant(t);
      for (let i = 0; i < 40; i += 1)
        await ingestTrace(t, tenant, { name: `s-${i}`, tags: ['sample'], started_at: at(i * 1000) });
    });

    it('keeps k = floor(n × rate) traces, chosen deterministically by the seed', async () => {
      const first = (
        await create(tenant, { metrics: ['confidence'], sampling_rate: 0.25, sampling_seed: 12345 }).expect(202)
      ).body;
      expect(first).toMatchObject({ total_targets: 10, sampling_rate: 0.25, sampling_seed: 12345 });
      const again = (
        await create(tenant, { metrics: ['confidence'], sampling_rate: 0.25, sampling_seed: 12345 }).expect(202)
      ).body;
      const other = (
        await create(tenant, { metrics: ['confidence'], sampling_rate: 0.25, sampling_seed: 999 }).expect(202)
      ).body;
      const firstIds = await runTraceIds(t.dataSource, first.id);
      expect(firstIds).toHaveLength(10);
      expect(await runTraceIds(t.dataSource, again.id)).toEqual(firstIds);
      expect(await runTraceIds(t.dataSource, other.id)).not.toEqual(firstIds);
      // Reproducing with the returned seed of a run that drew its own seed.
      const drawn = (await create(tenant, { metrics: ['confidence'], sampling_rate: 0.5 }).expect(202)).body;
      const replay = (
        await create(tenant, {
          metrics: ['confidence'],
          sampling_rate: 0.5,
          sampling_seed: drawn.sampling_seed,
        }).expect(202)
      ).body;
      expect(drawn.total_targets).toBe(20);
      expect(await runTraceIds(t.dataSource, replay.id)).toEqual(await runTraceIds(t.dataSource, drawn.id));
      for (const r of [first, again, other, drawn, replay]) await waitForRun(t, tenant, r.id);
    });

    it.each([
      [0.01, 1], // floor(0.4) = 0, at least 1
      [0.29, 11], // floor(11.6)
      [0.3, 12], // exact decimal: floor(12.0), not floor(11.999…)
      [0.999, 39],
      [1, 40],
    ])('rate %p of 40 traces selects %p', async (rate, k) => {
      const res = await create(tenant, { metrics: ['confidence'], sampling_rate: rate }).expect(202);
      expect(res.body.total_targets).toBe(k);
      expect(await runTraceIds(t.dataSource, res.body.id)).toHaveLength(k);
      await waitForRun(t, tenant, res.body.id);
    });
  });

  describe('validation before any write (422)', () => {
    const countRuns = async () =>
      Number(
        (await t.dataSource.query(`SELECT count(*) FROM eval_runs WHERE project_id = $1`, [a.projectId]))[0].count,
      );

    it.each([
      [
        'unknown metrics, named, with the valid ones',
        { metrics: ['confidence', 'nope', 'zzz'] },
        `Unknown metrics: nope, zzz. ${TRACE_METRICS}`,
      ],
      [
        'a session metric, said to be one',
        { metrics: ['agent_reliability'] },
        `agent_reliability is a session metric: evaluate sessions with POST /evaluations/session-runs. ${TRACE_METRICS}`,
      ],
      [
        'no matching traces',
        { metrics: ['confidence'], filters: { user_id: 'nobody' } },
        'No traces match the provided filters.',
      ],
      [
        'sampling_rate 0',
        { metrics: ['confidence'], sampling_rate: 0 },
        'sampling_rate 0 selects no traces; use a value greater than 0 and at most 1.',
      ],
      ['an unknown provider', { metrics: ['confidence'], model: 'mystery/model-x' }, /mystery/],
      [
        'a provider without credentials',
        { metrics: ['confidence'], model: 'anthropic/claude-3-5-haiku' },
        /anthropic.*not configured.*ANTHROPIC_API_KEY/,
      ],
    ])('%s', async (_label, body, detail) => {
      const before = await countRuns();
      const res = await create(a, body).expect(422);
      if (typeof detail === 'string') expect(res.body).toEqual({ detail });
      else expect(res.body.detail).toMatch(detail);
      expect(await countRuns()).toBe(before);
    });

    it.each([
      ['no metrics', { metrics: [] }, 'metrics'],
      ['metrics missing', {}, 'metrics'],
      [
        'an unknown filter key',
        { metrics: ['confidence'], filters: { environment: 'prod' } },
        'filters -> environment',
      ],
      ['a malformed date', { metrics: ['confidence'], filters: { date_from: '2026-13-45' } }, 'filters -> date_from'],
      [
        'a date that is not a string',
        { metrics: ['confidence'], filters: { date_to: 20260101 } },
        'filters -> date_to',
      ],
      ['a bad status', { metrics: ['confidence'], filters: { status: 'DONE' } }, 'filters -> status'],
      ['tags that are not a list', { metrics: ['confidence'], filters: { tags: 'prod' } }, 'filters -> tags'],
      ['filters that are not an object', { metrics: ['confidence'], filters: 'all' }, 'filters'],
      ['sampling_rate above 1', { metrics: ['confidence'], sampling_rate: 1.5 }, 'sampling_rate'],
      ['sampling_rate below 0', { metrics: ['confidence'], sampling_rate: -0.1 }, 'sampling_rate'],
      ['sampling_rate as text', { metrics: ['confidence'], sampling_rate: '0.5' }, 'sampling_rate'],
      ['a name over 255 characters', { metrics: ['confidence'], name: 'x'.repeat(256) }, 'name'],
      ['an unknown top-level key', { metrics: ['confidence'], threshold: 0.5 }, 'threshold'],
    ])('request shape: %s', async (_label, body, field) => {
      const before = await countRuns();
      const res = await create(a, body).expect(422);
      expect(res.body.detail).toBe('Validation error');
      expect(res.body.errors.map((e: any) => e.field)).toContain(field);
      expect(await countRuns()).toBe(before);
    });
  });

  describe('batch runs, failures and retry', () => {
    it('dedupes ids in order, records FAILED scores, and a retry re-runs exactly the failed pairs', async () => {
      const ids = [
        traces.gamma.trace_id,
        traces.alpha.trace_id,
        traces.gamma.trace_id.toUpperCase(),
        traces.beta.trace_id,
      ];
      // plan_quality fails (401 is not retried) for every trace; confidence succeeds.
      judge.fault({ status: 401, stage: 'plan_quality.score', count: Infinity });
      const res = await t.http
        .post(`${RUNS}/batch`)
        .set(a.headers)
        .send({ trace_ids: ids, metrics: ['confidence', 'plan_quality'], name: 'batch' })
        .expect(202);
      const expectedIds = [traces.gamma.trace_id, traces.alpha.trace_id, traces.beta.trace_id];
      expect(res.body).toMatchObject({
        status: 'PENDING',
        total_targets: 3,
        filters: { trace_ids: expectedIds },
        sampling_rate: 1,
      });

      const done = await waitForRun(t, a, res.body.id);
      expect(done).toMatchObject({ status: 'COMPLETED', evaluated_count: 3, failed_count: 3, succeeded_count: 3 });
      const scores = await scoresOf(a, res.body.id);
      expect(scores).toHaveLength(6);
      const failed = scores.filter((s) => s.status === 'FAILED');
      expect(failed).toHaveLength(3);
      for (const s of failed) {
        expect(s).toMatchObject({ name: 'plan_quality', value: null, source: 'AUTOMATED' });
        expect(s.reason).toMatch(/^Metric execution failed: /);
      }
      const items = await t.dataSource.query(`SELECT state, last_error FROM eval_run_items WHERE run_id = $1`, [
        res.body.id,
      ]);
      expect(items.every((i: any) => i.state === 'DONE' && /plan_quality/.test(i.last_error))).toBe(true);

      judge.reset();
      const retry = (await t.http.post(`${RUNS}/${res.body.id}/retry`).set(a.headers).expect(202)).body;
      expect(retry).toMatchObject({
        name: 'Retry: batch',
        status: 'PENDING',
        metric_names: ['plan_quality'],
        total_targets: 3,
        model: 'openai/judge-test',
      });
      expect(retry.filters.retry_of).toBe(res.body.id);
      expect([...retry.filters.trace_ids].sort()).toEqual([...expectedIds].sort());
      const retried = await waitForRun(t, a, retry.id);
      expect(retried).toMatchObject({ status: 'COMPLETED', evaluated_count: 3, failed_count: 0, succeeded_count: 3 });
      const retryScores = await scoresOf(a, retry.id);
      expect(retryScores).toHaveLength(3);
      expect(retryScores.every((s) => s.name === 'plan_quality' && s.status === 'SUCCESS' && s.value === '0.75')).toBe(
        true,
      );
      expect(judge.stageRequests('confidence.evaluate')).toHaveLength(0);

      // Nothing failed in the retry: nothing to retry.
      await t.http
        .post(`${RUNS}/${retry.id}/retry`)
        .set(a.headers)
        .expect(422)
        .expect({ detail: 'No failed scores to retry in this run.' });
    });

    it('retries only the failed metrics of each trace, named after the id when the run has no name', async () => {
      judge.fault({ status: 401, stage: 'confidence.evaluate', count: 1 });
      const res = await t.http
        .post(`${RUNS}/batch`)
        .set(a.headers)
        .send({ trace_ids: [traces.delta.trace_id], metrics: ['confidence', 'plan_quality'] })
        .expect(202);
      const done = await waitForRun(t, a, res.body.id);
      expect(done).toMatchObject({ status: 'COMPLETED', failed_count: 1, succeeded_count: 1 });
      const retry = (await t.http.post(`${RUNS}/${res.body.id}/retry`).set(a.headers).expect(202)).body;
      expect(retry).toMatchObject({ name: `Retry: ${res.body.id}`, metric_names: ['confidence'], total_targets: 1 });
      expect(await t.dataSource.query(`SELECT metric_names FROM eval_run_items WHERE run_id = $1`, [retry.id])).toEqual(
        [{ metric_names: ['confidence'] }],
      );
      await waitForRun(t, a, retry.id);
    });

    it('rejects unknown and foreign trace ids, naming them, and caps the batch', async () => {
      const unknown = randomUUID();
      const foreign = (await ingestTrace(t, b)).trace_id;
      const res = await t.http
        .post(`${RUNS}/batch`)
        .set(a.headers)
        .send({ trace_ids: [traces.alpha.trace_id, unknown, foreign], metrics: ['confidence'] })
        .expect(422);
      expect(res.body).toEqual({ detail: `Traces not found in this project: ${unknown}, ${foreign}` });

      const tooMany = Array.from({ length: 10_001 }, () => randomUUID());
      const capped = await t.http
        .post(`${RUNS}/batch`)
        .set(a.headers)
        .send({ trace_ids: tooMany, metrics: ['confidence'] })
        .expect(422);
      expect(capped.body.errors.map((e: any) => e.field)).toContain('trace_ids');

      const bad = await t.http
        .post(`${RUNS}/batch`)
        .set(a.headers)
        .send({ trace_ids: ['not-a-uuid'], metrics: ['confidence'] })
        .expect(422);
      expect(bad.body.errors.map((e: any) => e.field)).toContain('trace_ids');
      await t.http
        .post(`${RUNS}/batch`)
        .set(a.headers)
        .send({ trace_ids: [traces.alpha.trace_id], metrics: ['nope'] })
        .expect(422)
        .expect({ detail: `Unknown metrics: nope. ${TRACE_METRICS}` });
    });

    it('refuses to retry an unfinished run (409)', async () => {
      judge.setLatency(400);
      const res = await t.http
        .post(`${RUNS}/batch`)
        .set(a.headers)
        .send({ trace_ids: [traces.alpha.trace_id], metrics: ['confidence'] })
        .expect(202);
      const retry = await t.http.post(`${RUNS}/${res.body.id}/retry`).set(a.headers).expect(409);
      expect(retry.body.detail).toMatch(
        new RegExp(
          `^Eval run ${res.body.id} is still (PENDING|RUNNING); retry it once it has finished \\(or cancel it first\\)\\.$`,
        ),
      );
      await waitForRun(t, a, res.body.id);
    });

    it('rides out a judge answering 429 with Retry-After: nothing fails', async () => {
      judge.fault({ status: 429, retryAfter: '1', count: 4 });
      const res = await create(a, { metrics: ['confidence', 'plan_quality'] }).expect(202);
      const done = await waitForRun(t, a, res.body.id, { timeoutMs: 45_000 });
      expect(done).toMatchObject({ status: 'COMPLETED', evaluated_count: 4, failed_count: 0, succeeded_count: 8 });
      expect(judge.requests.filter((r) => r.status === 429)).toHaveLength(4);
      expect(done.judge_usage.calls).toBeGreaterThanOrEqual(12);
    });
  });

  describe('list, get, delete', () => {
    it('lists TRACE runs newest first, filtered by status and paginated', async () => {
      const tenant = await createTenant(t);
      const trace = await ingestTrace(t, tenant);
      const ids: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        ids.push(
          (
            await t.http
              .post(`${RUNS}/batch`)
              .set(tenant.headers)
              .send({ trace_ids: [trace.trace_id], metrics: ['confidence'] })
              .expect(202)
          ).body.id,
        );
      }
      for (const id of ids) await waitForRun(t, tenant, id);
      const page = (await t.http.get(RUNS).set(tenant.headers).query({ limit: 2, offset: 0 }).expect(200)).body;
      expect(page).toMatchObject({ total: 3, limit: 2, offset: 0 });
      expect(page.items.map((r: any) => r.id)).toEqual([ids[2], ids[1]]);
      expect(Object.keys(page.items[0]).sort()).toEqual(RUN_KEYS);
      const rest = (await t.http.get(RUNS).set(tenant.headers).query({ limit: 2, offset: 2 }).expect(200)).body;
      expect(rest.items.map((r: any) => r.id)).toEqual([ids[0]]);
      expect((await t.http.get(RUNS).set(tenant.headers).query({ status: 'COMPLETED' }).expect(200)).body.total).toBe(
        3,
      );
      expect((await t.http.get(RUNS).set(tenant.headers).query({ status: 'PENDING' }).expect(200)).body.total).toBe(0);
      const bad = await t.http.get(RUNS).set(tenant.headers).query({ status: 'DONE' }).expect(422);
      expect(bad.body.errors.map((e: any) => e.field)).toEqual(['status']);
      await t.http.get(RUNS).set(tenant.headers).query({ limit: 500 }).expect(422);
      // A SESSION run of the project is not a trace run.
      await t.dataSource.query(
        `INSERT INTO eval_runs (project_id, target_type, metric_names, status) VALUES ($1, 'SESSION', '{agent_reliability}', 'COMPLETED')`,
        [tenant.projectId],
      );
      const [session] = await t.dataSource.query(
        `SELECT id FROM eval_runs WHERE project_id = $1 AND target_type = 'SESSION'`,
        [tenant.projectId],
      );
      expect((await t.http.get(RUNS).set(tenant.headers).expect(200)).body.total).toBe(3);
      await t.http.get(`${RUNS}/${session.id}`).set(tenant.headers).expect(404);
    });

    it('gets a run by id: 404 with the original message, 422 for a malformed id', async () => {
      const missing = randomUUID();
      await t.http
        .get(`${RUNS}/${missing}`)
        .set(a.headers)
        .expect(404)
        .expect({ detail: `Eval run ${missing} not found.` });
      await t.http
        .get(`${RUNS}/${missing}/scores`)
        .set(a.headers)
        .expect(404)
        .expect({ detail: `Eval run ${missing} not found.` });
      const bad = await t.http.get(`${RUNS}/not-a-uuid`).set(a.headers).expect(422);
      expect(bad.body).toMatchObject({ detail: 'Validation error', errors: [{ field: 'run_id' }] });
      await t.http.post(`${RUNS}/not-a-uuid/retry`).set(a.headers).expect(422);
      await t.http.delete(`${RUNS}/not-a-uuid`).set(a.headers).expect(422);
    });

    it('works with Bearer + X-Project-ID as well', async () => {
      const member = await createMember(t, a);
      const res = await t.http
        .post(`${RUNS}/batch`)
        .set(member.headers)
        .send({ trace_ids: [traces.alpha.trace_id], metrics: ['confidence'] })
        .expect(202);
      const done = await waitForRun(t, { headers: member.headers }, res.body.id);
      expect(done.status).toBe('COMPLETED');
    });

    it('deletes a run keeping its scores unlinked by default, or with its scores', async () => {
      const keep = (
        await t.http
          .post(`${RUNS}/batch`)
          .set(a.headers)
          .send({ trace_ids: [traces.alpha.trace_id, traces.beta.trace_id], metrics: ['confidence'] })
          .expect(202)
      ).body;
      const drop = (
        await t.http
          .post(`${RUNS}/batch`)
          .set(a.headers)
          .send({ trace_ids: [traces.alpha.trace_id, traces.beta.trace_id], metrics: ['confidence'] })
          .expect(202)
      ).body;
      await waitForRun(t, a, keep.id);
      await waitForRun(t, a, drop.id);
      const keptScoreIds = (await scoresOf(a, keep.id)).map((s) => s.id);
      expect(keptScoreIds).toHaveLength(2);

      await t.http.delete(`${RUNS}/${keep.id}`).set(a.headers).expect(204);
      await t.http.get(`${RUNS}/${keep.id}`).set(a.headers).expect(404);
      const kept = await t.dataSource.query(`SELECT eval_run_id FROM trace_scores WHERE id = ANY($1::uuid[])`, [
        keptScoreIds,
      ]);
      expect(kept).toEqual([{ eval_run_id: null }, { eval_run_id: null }]);
      expect(await t.dataSource.query(`SELECT 1 FROM eval_run_items WHERE run_id = $1`, [keep.id])).toEqual([]);

      await t.http.delete(`${RUNS}/${drop.id}`).set(a.headers).query({ delete_scores: 'true' }).expect(204);
      expect(await t.dataSource.query(`SELECT 1 FROM trace_scores WHERE eval_run_id = $1`, [drop.id])).toEqual([]);
      expect(
        Number(
          (await t.dataSource.query(`SELECT count(*) FROM trace_scores WHERE id = ANY($1::uuid[])`, [keptScoreIds]))[0]
            .count,
        ),
      ).toBe(2);

      await t.http.delete(`${RUNS}/${drop.id}`).set(a.headers).expect(404);
      await t.http.delete(`${RUNS}/${randomUUID()}`).set(a.headers).query({ delete_scores: 'maybe' }).expect(422);
    });
  });

  describe('template', () => {
    it('renders a metric template and validates the metric', async () => {
      const res = await t.http.get(`${RUNS}/template`).set(a.headers).query({ metric: 'task_completion' }).expect(200);
      expect(res.body.metric).toMatchObject({ name: 'task_completion', category: 'trace' });
      expect(res.body.metric.prompt_preview.map((p: any) => p.stage)).toEqual(['extract', 'score']);
      expect(res.body).toMatchObject({ sampling_rate: 1, model: 'openai/judge-test' });
      expect(Object.keys(res.body.filters).sort()).toEqual([
        'date_from',
        'date_to',
        'name',
        'session_id',
        'status',
        'tags',
        'user_id',
      ]);
      await t.http
        .get(`${RUNS}/template`)
        .set(a.headers)
        .query({ metric: 'nope' })
        .expect(422)
        .expect({ detail: 'Unknown metric: nope' });
      const missing = await t.http.get(`${RUNS}/template`).set(a.headers).expect(422);
      expect(missing.body.errors.map((e: any) => e.field)).toContain('metric');
    });
  });

  describe('isolation across projects', () => {
    it("never shows, changes or retries another project's run", async () => {
      judge.fault({ status: 401, stage: 'confidence.evaluate', count: 1 });
      const run = (
        await t.http
          .post(`${RUNS}/batch`)
          .set(a.headers)
          .send({ trace_ids: [traces.alpha.trace_id], metrics: ['confidence'] })
          .expect(202)
      ).body;
      await waitForRun(t, a, run.id);
      const detail = { detail: `Eval run ${run.id} not found.` };
      await t.http.get(`${RUNS}/${run.id}`).set(b.headers).expect(404).expect(detail);
      await t.http.get(`${RUNS}/${run.id}/scores`).set(b.headers).expect(404).expect(detail);
      await t.http.post(`${RUNS}/${run.id}/retry`).set(b.headers).expect(404).expect(detail);
      await t.http
        .delete(`${RUNS}/${run.id}`)
        .set(b.headers)
        .query({ delete_scores: 'true' })
        .expect(404)
        .expect(detail);
      const listed = (await t.http.get(RUNS).set(b.headers).query({ limit: 200 }).expect(200)).body;
      expect(listed.items.map((r: any) => r.id)).not.toContain(run.id);
      // b's filtered run never selects a's traces.
      const bRun = (await create(b, { metrics: ['confidence'], filters: { name: 'checkout' } })).body;
      expect(bRun).toEqual({ detail: 'No traces match the provided filters.' });
      // Still there for a.
      expect((await t.http.get(`${RUNS}/${run.id}`).set(a.headers).expect(200)).body.failed_count).toBe(1);
      expect(await scoresOf(a, run.id)).toHaveLength(1);
    });
  });
});
