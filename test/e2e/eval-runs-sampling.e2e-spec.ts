import { evalRunTestEnv, runTraceIds, seedTracesSql } from '../factories/eval-run.factory';
import { JudgeServer, startJudgeServer } from '../support/judge-server';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';
import { EvalRunsRepository } from '../../src/modules/eval-runs/eval-runs.repository';

/**
 * Run creation scans the matches once and samples from a hash-threshold candidate set, falling back
 * to the full top-k when the candidates are short. The sample must be exactly what the plain top-k
 * (the algorithm before) selects for the same filters, seed and rate: the reference below is that
 * query, run on its own.
 */
describe('eval runs: sampling selection is the plain top-k of (hash(trace_id, seed), trace_id)', () => {
  let judge: JudgeServer;
  let t: TestApp;
  let a: Tenant;
  let other: Tenant;

  /** The algorithm before the single scan: k = max(1, floor(n × rate)) smallest (hash, id), n counted first. */
  const reference = async (projectId: string, seed: number, rate: number, extra = ''): Promise<string[]> => {
    const rows: { trace_id: string }[] = await t.dataSource.query(
      `WITH m AS (SELECT count(*) AS n FROM traces t WHERE t.project_id = $1 ${extra})
       SELECT trace_id FROM (
         SELECT t.trace_id FROM traces t WHERE t.project_id = $1 ${extra}
         ORDER BY uuid_hash_extended(t.trace_id, $2::bigint), t.trace_id
         LIMIT (SELECT GREATEST(1, floor(n * $3::text::numeric))::bigint FROM m)
       ) s ORDER BY trace_id`,
      [projectId, seed, String(rate)],
    );
    return rows.map((r) => r.trace_id);
  };

  const create = async (body: Record<string, unknown>) => {
    const res = await t.http
      .post('/evaluations/trace-runs')
      .set(a.headers)
      .send({ metrics: ['confidence'], ...body });
    expect(res.status).toBe(202);
    return res.body as { id: string; total_targets: number };
  };

  beforeAll(async () => {
    judge = await startJudgeServer();
    // No worker: only the frozen ledger is compared.
    t = await createTestApp(evalRunTestEnv(judge.baseUrl, 'samp'));
    a = await createTenant(t);
    other = await createTenant(t);
    await seedTracesSql(t.dataSource, a.projectId, 3000, { tags: ['prod'] });
    await seedTracesSql(t.dataSource, a.projectId, 1000, { tags: ['dev'], startedAt: '2026-03-01T00:00:00Z' });
    await seedTracesSql(t.dataSource, other.projectId, 2000, { tags: ['prod'] });
  });

  afterAll(async () => {
    // No worker judged these runs: leave none PENDING for a later spec's worker to sweep up.
    await t?.dataSource.query(`DELETE FROM eval_runs WHERE project_id = ANY($1::uuid[])`, [
      [a.projectId, other.projectId],
    ]);
    await t?.close();
    await judge?.close();
  });

  const cases: Array<[number, number]> = [
    [1, 0.1],
    [2, 0.1],
    [7, 0.01],
    [12345, 0.25],
    [2 ** 47, 0.5],
    [99, 0.9],
    [3, 0.0003],
  ];

  it.each(cases)('no filter, seed %p, rate %p: the same sample as the full top-k', async (seed, rate) => {
    const run = await create({ sampling_rate: rate, sampling_seed: seed });
    const expected = await reference(a.projectId, seed, rate);
    expect(run.total_targets).toBe(expected.length);
    expect(await runTraceIds(t.dataSource, run.id)).toEqual(expected);
  });

  it('with filters (tags, dates, status): the same sample as the full top-k over the same matches', async () => {
    for (const [seed, rate] of cases.slice(0, 4)) {
      const run = await create({
        sampling_rate: rate,
        sampling_seed: seed,
        filters: { tags: ['prod'], status: 'COMPLETED', date_from: '2026-01-01T00:10:00Z' },
      });
      const expected = await reference(
        a.projectId,
        seed,
        rate,
        `AND t.tags && '{prod}' AND t.status = 'COMPLETED' AND t.started_at >= '2026-01-01T00:10:00Z'`,
      );
      expect(expected.length).toBeGreaterThan(0);
      expect(await runTraceIds(t.dataSource, run.id)).toEqual(expected);
    }
  });

  it('candidates short (forced by a zero candidate share): the fallback full top-k gives the same sample', async () => {
    const repo = t.app.get(EvalRunsRepository);
    for (const [seed, rate] of cases) {
      for (const share of [0, rate / 2]) {
        const run = await repo.createFilteredRun({
          projectId: a.projectId,
          name: null,
          metricNames: ['confidence'],
          model: 'openai/judge-test',
          sliceSize: 500,
          maxJudgeCalls: null,
          maxJudgeTokens: null,
          filter: { projectId: a.projectId },
          storedFilters: {},
          samplingRate: rate,
          samplingSeed: seed,
          candidateShare: share,
        });
        expect(await runTraceIds(t.dataSource, run!.id)).toEqual(await reference(a.projectId, seed, rate));
      }
    }
  });

  it('samples only the caller project: no item is a trace of another project', async () => {
    const run = await create({ sampling_rate: 0.5, sampling_seed: 5 });
    const [row] = await t.dataSource.query(
      `SELECT count(*)::int AS foreign FROM unnest($2::uuid[]) AS x(trace_id) JOIN traces t USING (trace_id)
       WHERE t.project_id <> $1`,
      [a.projectId, await runTraceIds(t.dataSource, run.id)],
    );
    expect(row.foreign).toBe(0);
    expect(run.total_targets).toBe(2000);
  });

  it('writes slice 0 to the ledger and keeps every other slice as one row of its trace ids', async () => {
    const run = await create({ sampling_rate: 0.5, sampling_seed: 11 });
    const [shape] = await t.dataSource.query(
      `SELECT r.slice_count,
              (SELECT array_agg(DISTINCT i.slice) FROM eval_run_items i WHERE i.run_id = r.id) AS ledger_slices,
              (SELECT count(*)::int FROM eval_run_items i WHERE i.run_id = r.id) AS ledger_items,
              (SELECT array_agg(p.slice ORDER BY p.slice) FROM eval_run_pending_items p WHERE p.run_id = r.id) AS pending_slices,
              (SELECT sum(cardinality(p.trace_ids))::int FROM eval_run_pending_items p WHERE p.run_id = r.id) AS pending_items,
              (SELECT count(*)::int FROM eval_run_pending_items p CROSS JOIN unnest(p.trace_ids) AS x(id)
                WHERE p.run_id = r.id AND abs(uuid_hash_extended(x.id, 0) % r.slice_count)::int <> p.slice) AS misplaced
       FROM eval_runs r WHERE r.id = $1`,
      [run.id],
    );
    expect(shape.slice_count).toBe(4); // 2,000 targets in slices of 500
    expect(shape.ledger_slices).toEqual([0]);
    expect(shape.pending_slices).toEqual([1, 2, 3]);
    expect(shape.ledger_items + shape.pending_items).toBe(2000);
    expect(shape.misplaced).toBe(0);
    // Deleting the run deletes what waits outside the ledger too.
    await t.http.delete(`/evaluations/trace-runs/${run.id}`).set(a.headers).expect(204);
    expect(await t.dataSource.query(`SELECT 1 FROM eval_run_pending_items WHERE run_id = $1`, [run.id])).toEqual([]);
  });
});
