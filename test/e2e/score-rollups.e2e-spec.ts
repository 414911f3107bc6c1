import { bucketLabel, bucketOf, bucketSeries } from '../../src/modules/analytics/time-buckets';
import { ScoreAnalyticsRepository } from '../../src/modules/scores/score-analytics.repository';
import { ScoreRollupRefresher } from '../../src/modules/scores/score-rollup-refresher';
import { ingestTrace } from '../factories/trace.factory';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

/**
 * Score rollups (docs/analytics.md): summary, trend and distribution read rolled-up slots and days
 * plus live edges and dirty slots. Every answer must equal, exactly, the plain computation over
 * trace_scores (the statements below; the summary's covers every data type, as the original), before the refresh, after
 * it, with every slot forced live, and after inserts, deletes (direct and by a trace's cascade),
 * updates that move a score to another day, and late-arriving scores.
 */
const CREATED_IN = (a: string, b: string) =>
  `(${a}::timestamptz IS NULL OR s.created_at >= ${a}::timestamptz) AND (${b}::timestamptz IS NULL OR s.created_at < ${b}::timestamptz)`;
const REFERENCE_SUMMARY = `
  SELECT name, avg(n)::float8 AS avg, min(n)::float8 AS min, max(n)::float8 AS max,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY n::float8) AS median,
         (count(*) FILTER (WHERE status = 'SUCCESS'))::int AS succeeded,
         (count(*) FILTER (WHERE status = 'FAILED'))::int AS failed,
         (count(*) FILTER (WHERE status = 'SUCCESS' AND n IS NULL))::int AS non_numeric, max(created_at) AS latest
  FROM (SELECT s.name, s.status, s.created_at,
               CASE WHEN s.status = 'SUCCESS' AND s.data_type = 'NUMERIC' THEN s.value_number END AS n
        FROM trace_scores s WHERE s.project_id = $1 AND ${CREATED_IN('$2', '$3')}) s
  GROUP BY name ORDER BY name`;
const REFERENCE_TREND = `
  WITH agg AS (
    SELECT ${bucketOf('s.created_at', '$3::text', '$6::text')} AS b, avg(s.value_number)::float8 AS avg, count(*)::int AS count
    FROM trace_scores s
    WHERE s.project_id = $1::uuid AND s.name = $2::text AND s.status = 'SUCCESS' AND s.data_type = 'NUMERIC'
      AND s.value_number IS NOT NULL AND s.created_at >= $4::timestamptz AND s.created_at < $5::timestamptz
    GROUP BY 1)
  SELECT ${bucketLabel('x.b', '$6::text')} AS bucket, COALESCE(agg.avg, 0) AS avg, COALESCE(agg.count, 0) AS count
  FROM (${bucketSeries('$3::text', '$4', '$5', '$6::text')}) x LEFT JOIN agg ON agg.b = x.b ORDER BY x.b`;
const REFERENCE_DISTRIBUTION = `
  SELECT CASE WHEN n IS NOT NULL THEN least(width_bucket(n, 0, 1, $5::int), $5::int) END AS bucket, count(*)::int AS count
  FROM (SELECT CASE WHEN s.data_type = 'NUMERIC' THEN s.value_number END AS n FROM trace_scores s
        WHERE s.project_id = $1::uuid AND s.name = $2::text AND s.status = 'SUCCESS' AND ${CREATED_IN('$3', '$4')}) s
  GROUP BY 1`;

const DAY = 86_400_000;
const START = Date.parse('2026-03-02T00:00:00Z');
const at = (ms: number) => new Date(START + ms).toISOString();

/** Windows: none, slot-aligned, mid-slot and mid-day edges, one inside a single slot. */
const WINDOWS: Array<[string | undefined, string | undefined]> = [
  [undefined, undefined],
  [at(0), at(4 * DAY)],
  [at(DAY + 7 * 60_000 + 1), at(3 * DAY + 13 * 3_600_000 + 5)],
  [at(DAY / 2), undefined],
  [undefined, at(2 * DAY + 1)],
  [at(DAY + 60_000), at(DAY + 120_000)],
];
const METRICS = ['accuracy', 'tone'];
const TRENDS = [
  ['hour', 'UTC'],
  ['day', 'UTC'],
  ['hour', 'Asia/Kolkata'],
  ['day', 'America/New_York'],
] as const;

describe('score rollups', () => {
  let t: TestApp;
  let r: Tenant;
  let other: Tenant;
  let traceIds: string[];
  let repo: ScoreAnalyticsRepository;

  async function store(tenant: Tenant, trace: string, name: string, value: string | null, createdAt: string, o = {}) {
    const { dataType = 'NUMERIC', status = 'SUCCESS' } = o as { dataType?: string; status?: string };
    await t.dataSource.query(
      `INSERT INTO trace_scores (trace_id, project_id, name, data_type, value, source, status, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, 'AUTOMATED', $6, $7, $7)`,
      [trace, tenant.projectId, name, dataType, value, status, createdAt],
    );
  }

  /** 3 days of two metrics: repeated values (a median between two), edges, odd values, other types. */
  async function seed(tenant: Tenant, traces: string[], salt: number) {
    for (let i = 0; i < 160; i++) {
      const name = METRICS[i % 2];
      const when = at(Math.floor((((i * 7919 + salt) % 1000) * (3 * DAY)) / 1000) + (i % 3) * 15 * 60_000);
      const value = i % 17 === 0 ? '1.0' : i % 13 === 0 ? '0' : (((i * 37 + salt) % 101) / 100).toString();
      const o = i % 23 === 0 ? { status: 'FAILED' } : i % 29 === 0 ? { dataType: 'BOOLEAN' } : {};
      await store(tenant, traces[i % traces.length], name, i % 31 === 0 ? 'abc' : value, when, o);
    }
    await store(tenant, traces[0], 'accuracy', '0.123456789012345678', at(DAY)); // rounded to 15 places
    await store(tenant, traces[0], 'accuracy', null, at(DAY), { status: 'PENDING' });
  }

  async function fromRepository() {
    const out: Record<string, unknown> = {};
    for (const [from, to] of WINDOWS) {
      out[`summary ${from} ${to}`] = await repo.summary('trace', r.projectId, from, to);
      for (const metric of METRICS) {
        for (const n of [1, 3, 10, 100]) {
          const d = await repo.distribution('trace', r.projectId, metric, n, from, to);
          out[`distribution ${metric} ${n} ${from} ${to}`] = { counts: [...d.counts].sort(), nonNumeric: d.nonNumeric };
        }
        if (from && to) {
          for (const [granularity, tz] of TRENDS) {
            out[`trend ${metric} ${granularity} ${tz} ${from} ${to}`] = await repo.trend('trace', r.projectId, metric, {
              granularity,
              from,
              to,
              tz,
            });
          }
        }
      }
    }
    return out;
  }

  async function fromReference() {
    const out: Record<string, unknown> = {};
    for (const [from, to] of WINDOWS) {
      const rows = await t.dataSource.query(REFERENCE_SUMMARY, [r.projectId, from ?? null, to ?? null]);
      out[`summary ${from} ${to}`] = rows.map((x: Record<string, unknown>) => ({
        name: x.name,
        avg: x.avg,
        min: x.min,
        max: x.max,
        median: x.median,
        succeeded: x.succeeded,
        failed: x.failed,
        nonNumeric: x.non_numeric,
        latest: x.latest,
      }));
      for (const metric of METRICS) {
        for (const n of [1, 3, 10, 100]) {
          const d = await t.dataSource.query(REFERENCE_DISTRIBUTION, [
            r.projectId,
            metric,
            from ?? null,
            to ?? null,
            n,
          ]);
          const counts = d
            .filter((x: { bucket: number | null }) => x.bucket !== null)
            .map((x: Record<string, number>) => [x.bucket, x.count]);
          const nonNumeric = d.find((x: { bucket: number | null }) => x.bucket === null)?.count ?? 0;
          out[`distribution ${metric} ${n} ${from} ${to}`] = { counts: counts.sort(), nonNumeric };
        }
        if (from && to) {
          for (const [granularity, tz] of TRENDS) {
            out[`trend ${metric} ${granularity} ${tz} ${from} ${to}`] = await t.dataSource.query(REFERENCE_TREND, [
              r.projectId,
              metric,
              granularity,
              from,
              to,
              tz,
            ]);
          }
        }
      }
    }
    return out;
  }

  const refresh = () => t.app.get(ScoreRollupRefresher).refreshAll();
  const dirty = async () =>
    (
      await t.dataSource.query(`SELECT count(*)::int AS n FROM score_rollup_dirty WHERE project_id = $1`, [r.projectId])
    )[0].n as number;
  /** Marks every slot of the project dirty: reads then compute everything from raw rows. */
  const forceLive = () =>
    t.dataSource.query(
      `INSERT INTO score_rollup_dirty (project_id, name, slot)
       SELECT DISTINCT project_id, name, date_bin('15 minutes', created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00')
       FROM trace_scores WHERE project_id = $1`,
      [r.projectId],
    );

  /** The rollup answers equal the reference before the refresh, after it, and forced live. */
  async function expectExact() {
    // Dirty marks and answers are read first, right after the writes: the refresher's own 5-s timer
    // may fold the marks at any moment, and the reference's many statements take seconds under load.
    const dirtyBefore = await dirty();
    const beforeRefresh = await fromRepository();
    const reference = await fromReference();
    expect(dirtyBefore).toBeGreaterThan(0);
    expect(beforeRefresh).toEqual(reference);
    await refresh();
    expect(await dirty()).toBe(0);
    expect(await fromRepository()).toEqual(reference);
    await forceLive();
    expect(await fromRepository()).toEqual(reference);
    await refresh();
  }

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_INGEST: '100000', RATE_LIMIT_DEFAULT: '100000' });
    repo = t.app.get(ScoreAnalyticsRepository);
    r = await createTenant(t);
    other = await createTenant(t);
    traceIds = [];
    for (let i = 0; i < 4; i++) traceIds.push((await ingestTrace(t, r)).trace_id);
    const otherTrace = (await ingestTrace(t, other)).trace_id;
    await seed(r, traceIds, 0);
    await seed(other, [otherTrace], 5); // same metrics, same days: never counted for r
  });
  afterAll(() => t.close());

  it('after scores are stored: exact before the refresh, after it and forced live; rollup rows exist', async () => {
    await expectExact();
    const [{ slots }] = await t.dataSource.query(
      `SELECT count(*)::int AS slots FROM score_rollups WHERE project_id = $1`,
      [r.projectId],
    );
    const [{ days }] = await t.dataSource.query(
      `SELECT count(DISTINCT day)::int AS days FROM score_value_rollups WHERE project_id = $1`,
      [r.projectId],
    );
    expect(slots).toBeGreaterThan(10);
    expect(days).toBe(3);
  });

  it('after inserts, late-arriving scores, deletes, a trace deleted with its scores and a score moved to another day', async () => {
    await store(r, traceIds[1], 'accuracy', '0.5', at(DAY + 3_600_000)); // a day already rolled up
    await store(r, traceIds[1], 'tone', '0.75', at(-DAY)); // late: before every other score
    await t.dataSource.query(
      `DELETE FROM trace_scores WHERE id IN (SELECT id FROM trace_scores WHERE project_id = $1 ORDER BY created_at LIMIT 7 OFFSET 20)`,
      [r.projectId],
    );
    await expectExact();

    await t.http.delete(`/traces/${traceIds[2]}`).set(r.headers).expect(204); // its scores go by cascade
    await expectExact();

    await t.dataSource.query(
      `UPDATE trace_scores SET value = '0.99', created_at = created_at + interval '1 day 5 minutes'
       WHERE id IN (SELECT id FROM trace_scores WHERE project_id = $1 AND name = 'tone' ORDER BY created_at LIMIT 5)`,
      [r.projectId],
    );
    await expectExact();
  });

  it('the other project is never counted: its answers equal its own reference', async () => {
    const mine = await repo.summary('trace', other.projectId);
    const reference = await t.dataSource.query(REFERENCE_SUMMARY, [other.projectId, null, null]);
    expect(mine.map((m) => [m.name, m.succeeded, m.avg, m.median])).toEqual(
      reference.map((x: Record<string, unknown>) => [x.name, x.succeeded, x.avg, x.median]),
    );
  });
});
