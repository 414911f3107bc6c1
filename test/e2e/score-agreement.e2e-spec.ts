import { randomUUID } from 'node:crypto';
import { evalRunTestEnv, waitForRun } from '../factories/eval-run.factory';
import { ingestTrace } from '../factories/trace.factory';
import { JudgeServer, LoggedRequest, startJudgeServer } from '../support/judge-server';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

const AGREEMENT = '/evaluations/analytics/trace-scores/agreement';

/**
 * Agreement of judge scores with human annotations, checked against figures worked by hand (in the
 * comments). NUMERIC judge scores come from real runs through the scripted judge; BOOLEAN and
 * CATEGORICAL judge scores cannot come from a run until custom metrics exist, so those are seeded as
 * AUTOMATED rows in SQL (the route reads stored scores; where they came from does not change it).
 */
describe('score agreement (judge vs. people)', () => {
  let judge: JudgeServer;
  let t: TestApp;
  let a: Tenant;
  let b: Tenant;
  /** The judge's confidence for each trace is written in its input, e.g. `JUDGE=0.45`; run 2 says 0. */
  let judgeAnswersZero = false;

  beforeAll(async () => {
    judge = await startJudgeServer({
      answers: {
        'confidence.evaluate': (req: LoggedRequest) => ({
          confidence: judgeAnswersZero ? 0 : Number(/JUDGE=([\d.]+)/.exec(req.prompt)?.[1] ?? 'NaN'),
          reason: 'scripted',
        }),
      },
    });
    t = await createTestApp(evalRunTestEnv(judge.baseUrl, 'agr', { RUN_WORKER_IN_PROCESS: 'true' }));
    a = await createTenant(t);
    b = await createTenant(t);
  });
  afterAll(async () => {
    await t.close();
    await judge.close();
  });

  const agreement = (tenant: Tenant, query: Record<string, string | number>) =>
    t.http.get(AGREEMENT).query(query).set(tenant.headers);

  async function trace(tenant: Tenant, tag: string, judgeValue?: number): Promise<string> {
    const content = judgeValue === undefined ? 'no verdict' : `case JUDGE=${judgeValue}`;
    const body = await ingestTrace(t, tenant, {
      tags: [tag],
      input: { messages: [{ role: 'user', content }] },
      output: { messages: [{ role: 'assistant', content: 'done' }] },
    });
    return body.trace_id;
  }

  async function annotate(tenant: Tenant, traceId: string, name: string, value: string, dataType = 'NUMERIC') {
    await t.http
      .post('/evaluations/trace-scores')
      .set(tenant.headers)
      .send({ trace_id: traceId, name, value, data_type: dataType, source: 'ANNOTATION' })
      .expect(201);
  }

  /** An AUTOMATED score as a run would store it (see the describe's comment). */
  async function judged(
    tenant: Tenant,
    traceId: string,
    name: string,
    value: string,
    dataType: string,
    status = 'SUCCESS',
  ) {
    await t.dataSource.query(
      `INSERT INTO trace_scores (trace_id, project_id, name, data_type, value, source, status)
       VALUES ($1, $2, $3, $4, $5, 'AUTOMATED', $6)`,
      [traceId, tenant.projectId, name, dataType, status === 'SUCCESS' ? value : null, status],
    );
  }

  async function run(tenant: Tenant, tag: string): Promise<string> {
    const res = await t.http
      .post('/evaluations/trace-runs')
      .set(tenant.headers)
      .send({ name: `agreement ${tag}`, metrics: ['confidence'], filters: { tags: [tag] } })
      .expect(202);
    const done = await waitForRun(t, tenant, res.body.id);
    expect(done).toMatchObject({ status: 'COMPLETED', failed_count: 0 });
    return res.body.id;
  }

  describe('NUMERIC, judged by real runs', () => {
    const tag = `agree-${randomUUID().slice(0, 8)}`;
    const judgeValues = [0.9, 0.8, 0.3, 0.6, 0.1, 0.45];
    const humanValues = ['1.0', '0.5', '0.2', '0.4', '0.1', '0.7'];
    let ids: string[];
    let run1: string;

    beforeAll(async () => {
      ids = [];
      for (const v of judgeValues) ids.push(await trace(a, tag, v));
      const unannotated = await trace(a, tag, 0.99);
      run1 = await run(a, tag);
      for (const [i, v] of humanValues.entries()) await annotate(a, ids[i], 'confidence', v);
      // An annotation without a judge score, and a trace judged but never annotated: neither is a pair.
      await annotate(a, await trace(a, `other-${tag}`), 'confidence', '0.3');
      expect(unannotated).toBeDefined();
    });

    it('compares values and pass/fail (MAE, Spearman, accuracy, κ, confusion, disagreements)', async () => {
      const res = await agreement(a, { metric_name: 'confidence', eval_run_id: run1 }).expect(200);
      // |d| = .1 .3 .1 .2 0 .25 → MAE .95/6. Ranks judge 6 5 2 4 1 3, human 6 4 2 3 1 5: Σd² = 6, ρ = 1 − 36/210.
      // At 0.5: judge P P F P F F, human P P F F F P → PP 2, FF 2, PF 1 (t3), FP 1 (t5); p_e = .5, κ = 1/3.
      expect(res.body).toMatchObject({
        metric_name: 'confidence',
        eval_run_id: run1,
        data_type: 'NUMERIC',
        threshold: 0.5,
        n: 6,
        labels: ['fail', 'pass'],
        type_mismatch_count: 0,
      });
      expect(res.body.mean_absolute_error).toBeCloseTo(0.95 / 6, 10);
      expect(res.body.spearman_rho).toBeCloseTo(1 - 36 / 210, 10);
      expect(res.body.accuracy).toBeCloseTo(4 / 6, 10);
      expect(res.body.cohen_kappa).toBeCloseTo(1 / 3, 10);
      expect(res.body.confusion_matrix).toEqual([
        { judge: 'fail', human: 'fail', count: 2 },
        { judge: 'fail', human: 'pass', count: 1 },
        { judge: 'pass', human: 'fail', count: 1 },
        { judge: 'pass', human: 'pass', count: 2 },
      ]);
      // Widest gap first: t5 (.25), then t3 (.2).
      expect(res.body.disagreements.total).toBe(2);
      expect(res.body.disagreements.items.map((d: { trace_id: string }) => d.trace_id)).toEqual([ids[5], ids[3]]);
      expect(res.body.disagreements.items[0]).toMatchObject({
        judge_value: '0.45',
        human_value: '0.7',
        judge_label: 'fail',
        human_label: 'pass',
        judge_score_id: expect.any(String),
        human_score_id: expect.any(String),
      });
      const page = await agreement(a, { metric_name: 'confidence', eval_run_id: run1, limit: 1, offset: 1 }).expect(
        200,
      );
      expect(page.body.disagreements).toMatchObject({ total: 2, limit: 1, offset: 1 });
      expect(page.body.disagreements.items.map((d: { trace_id: string }) => d.trace_id)).toEqual([ids[3]]);
    });

    it('moves the pass line with threshold', async () => {
      // At 0.85: judge passes t0 only; human passes t0 only (1.0) → all agree, p_e = 1/36 + 25/36, κ = 1.
      const res = await agreement(a, { metric_name: 'confidence', eval_run_id: run1, threshold: 0.85 }).expect(200);
      expect(res.body).toMatchObject({ threshold: 0.85, n: 6, accuracy: 1, disagreements: { total: 0, items: [] } });
      expect(res.body.cohen_kappa).toBeCloseTo(1, 10);
    });

    it('takes each trace’s latest judge score unless a run is named', async () => {
      judgeAnswersZero = true;
      const run2 = await run(a, tag);
      judgeAnswersZero = false;
      const latest = await agreement(a, { metric_name: 'confidence' }).expect(200);
      // Run 2 judged every trace 0: all fail; people pass t0 t1 t5 → FF 3, FP 3, p_e = 1 · .5, κ = 0.
      // MAE = mean of the human values = 2.9/6; the judge's ranks are all tied, so ρ is undefined.
      expect(latest.body).toMatchObject({ eval_run_id: null, n: 6, accuracy: 0.5, spearman_rho: null });
      expect(latest.body.cohen_kappa).toBeCloseTo(0, 10);
      expect(latest.body.mean_absolute_error).toBeCloseTo(2.9 / 6, 10);
      const pinned = await agreement(a, { metric_name: 'confidence', eval_run_id: run1 }).expect(200);
      expect(pinned.body.cohen_kappa).toBeCloseTo(1 / 3, 10);
      const second = await agreement(a, { metric_name: 'confidence', eval_run_id: run2 }).expect(200);
      expect(second.body.accuracy).toBe(0.5);
    });

    it('ranks ties by their average (Spearman with ties)', async () => {
      const tieTag = `ties-${randomUUID().slice(0, 8)}`;
      const judgeTies = ['0.2', '0.2', '0.8', '0.5'];
      const humanTies = ['0.1', '0.3', '0.3', '0.9'];
      for (const [i, v] of judgeTies.entries()) {
        const id = await trace(a, tieTag);
        await judged(a, id, 'tie_metric', v, 'NUMERIC');
        await annotate(a, id, 'tie_metric', humanTies[i]);
      }
      // Average ranks: judge 1.5 1.5 4 3, human 1 2.5 2.5 4 → Pearson of the ranks = 2.25 / 4.5.
      const res = await agreement(a, { metric_name: 'tie_metric' }).expect(200);
      expect(res.body.n).toBe(4);
      expect(res.body.spearman_rho).toBeCloseTo(0.5, 10);
    });
  });

  describe('BOOLEAN and CATEGORICAL', () => {
    it('gives a skewed BOOLEAN set its (negative) κ and counts type mismatches apart', async () => {
      const tag = `bool-${randomUUID().slice(0, 8)}`;
      // 20 traces: both true 17, judge true / human false 2, judge false / human true 1.
      const pairs: [string, string][] = [
        ...Array<[string, string]>(17).fill(['true', 'true']),
        ['true', 'false'],
        ['true', 'false'],
        ['false', 'true'],
      ];
      for (const [j, h] of pairs) {
        const id = await trace(a, tag);
        await judged(a, id, 'is_polite', j, 'BOOLEAN');
        // An older, overruled annotation: only the latest one counts.
        await annotate(a, id, 'is_polite', j === 'true' ? 'false' : 'true', 'BOOLEAN');
        await annotate(a, id, 'is_polite', h.toUpperCase(), 'BOOLEAN');
      }
      const mismatch = await trace(a, tag);
      await judged(a, mismatch, 'is_polite', 'true', 'BOOLEAN');
      await annotate(a, mismatch, 'is_polite', 'polite', 'CATEGORICAL');
      const failed = await trace(a, tag);
      await judged(a, failed, 'is_polite', '', 'BOOLEAN', 'FAILED');
      await annotate(a, failed, 'is_polite', 'true', 'BOOLEAN');

      const res = await agreement(a, { metric_name: 'is_polite' }).expect(200);
      // p_o = .85; judge true .95, human true .9; p_e = .855 + .005 = .86; κ = −.01/.14.
      expect(res.body).toMatchObject({
        data_type: 'BOOLEAN',
        threshold: null,
        n: 20,
        mean_absolute_error: null,
        spearman_rho: null,
        labels: ['false', 'true'],
        type_mismatch_count: 1,
        confusion_matrix: [
          { judge: 'false', human: 'true', count: 1 },
          { judge: 'true', human: 'false', count: 2 },
          { judge: 'true', human: 'true', count: 17 },
        ],
      });
      expect(res.body.accuracy).toBeCloseTo(0.85, 10);
      expect(res.body.cohen_kappa).toBeCloseTo(-0.01 / 0.14, 10);
      expect(res.body.disagreements.total).toBe(3);
    });

    it('compares CATEGORICAL labels as they are', async () => {
      const tag = `cat-${randomUUID().slice(0, 8)}`;
      const pairs: [string, string][] = [
        ['refund', 'refund'],
        ['refund', 'escalate'],
        ['escalate', 'escalate'],
        ['ignore', 'Refund'],
      ];
      for (const [j, h] of pairs) {
        const id = await trace(a, tag);
        await judged(a, id, 'routing', j, 'CATEGORICAL');
        await annotate(a, id, 'routing', h, 'CATEGORICAL');
      }
      // p_o = 2/4; p_e = refund (2/4 · 1/4) + escalate (1/4 · 2/4) = .25; κ = .25/.75.
      const res = await agreement(a, { metric_name: 'routing' }).expect(200);
      expect(res.body).toMatchObject({ data_type: 'CATEGORICAL', n: 4, accuracy: 0.5 });
      expect(res.body.cohen_kappa).toBeCloseTo(1 / 3, 10);
      expect(res.body.labels).toEqual(['Refund', 'escalate', 'ignore', 'refund']);
    });
  });

  describe('tenancy and bad input', () => {
    it('never pairs or counts another project’s scores', async () => {
      const res = await agreement(b, { metric_name: 'is_polite' }).expect(200);
      expect(res.body).toMatchObject({
        n: 0,
        data_type: null,
        accuracy: null,
        cohen_kappa: null,
        type_mismatch_count: 0,
      });
      expect(res.body.confusion_matrix).toEqual([]);
      expect(res.body.disagreements).toEqual({ items: [], total: 0, limit: 50, offset: 0 });
    });

    it('answers 422 naming the field for a missing metric, a bad run id or threshold', async () => {
      for (const [query, field] of [
        [{}, 'metric_name'],
        [{ metric_name: 'x', eval_run_id: 'nope' }, 'eval_run_id'],
        [{ metric_name: 'x', threshold: 2 }, 'threshold'],
        [{ metric_name: 'x', threshold: 'NaN' }, 'threshold'],
        [{ metric_name: 'x', limit: 500 }, 'limit'],
      ] as [Record<string, string | number>, string][]) {
        const res = await agreement(a, query).expect(422);
        expect(res.body.detail).toBe('Validation error');
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
    });

    it('needs credentials', async () => {
      await t.http.get(AGREEMENT).query({ metric_name: 'x' }).expect(401);
    });
  });
});
