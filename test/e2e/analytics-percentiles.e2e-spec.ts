import { RollupRefresher } from '../../src/modules/analytics/rollup-refresher';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

/**
 * Latency percentiles are exact: every p50/p90/p99 of `GET /traces/analytics?metric=latency` is the
 * very number PostgreSQL's percentile_cont gives over the bucket's traces (compared with Object.is,
 * no tolerance), whether the bucket is computed live, from the rollups, or from an hour's stored
 * percentiles. Random latencies (µs resolution, integers, ties, zero, negative), random bucket sizes,
 * windows, granularities and time zones, from a fixed seed.
 */

const SEED = Number(process.env.PERCENTILE_SEED ?? 20261207);
const CASES = 36;
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe'];
const GRANULARITIES = ['hour', 'day', 'week'] as const;
const DAY = 86_400_000;
const PCTS = ['p50_latency_ms', 'p90_latency_ms', 'p99_latency_ms'] as const;

/** mulberry32: a small seeded generator, so a failure replays with the same data. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Row = Record<string, unknown>;

describe('latency percentiles are exact (percentile_cont)', () => {
  let t: TestApp;
  let a: Tenant;

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_DEFAULT: '100000' });
    a = await createTenant(t);
  });
  afterAll(() => t.close());

  const refresh = () => t.app.get(RollupRefresher).refreshAll();

  /** Inserts traces (start in ms since epoch, latency in µs or null) straight into PostgreSQL. */
  async function insert(tenant: Tenant, traces: Array<[start: number, latencyUs: number | null]>) {
    await t.dataSource.query(
      `INSERT INTO traces (trace_id, project_id, name, status, started_at, ended_at)
       SELECT gen_random_uuid(), $1, 'p', 'COMPLETED', to_timestamp(s / 1000.0),
              to_timestamp(s / 1000.0) + make_interval(secs => l / 1e6)
       FROM unnest($2::float8[], $3::float8[]) AS x(s, l)`,
      [tenant.projectId, traces.map((x) => x[0]), traces.map((x) => x[1])],
    );
  }

  /** What the API answers, per bucket instant. */
  async function answer(tenant: Tenant, granularity: string, tz: string, from: string, to: string) {
    const res = await t.http
      .get('/traces/analytics')
      .query({ metric: 'latency', granularity, tz, started_after: from, started_before: to })
      .set(tenant.headers)
      .expect(200);
    return new Map((res.body as Row[]).map((r) => [Date.parse(r.bucket as string), r]));
  }

  /** The reference: percentile_cont over each bucket's traces, as the original computes it. */
  async function reference(tenant: Tenant, granularity: string, tz: string, from: string, to: string) {
    const rows: Array<{ b: Date; pct: number[] | null }> = await t.dataSource.query(
      `SELECT date_trunc($2, started_at, $3) AS b,
              percentile_cont(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP (ORDER BY latency_ms) AS pct
       FROM traces WHERE project_id = $1 AND started_at >= $4 AND started_at < $5 GROUP BY 1`,
      [tenant.projectId, granularity, tz, from, to],
    );
    return new Map(rows.map((r) => [r.b.getTime(), r.pct]));
  }

  /** Every bucket the API answers equals the reference exactly; buckets without latencies are null. */
  async function expectExact(tenant: Tenant, granularity: string, tz: string, from: string, to: string, what: string) {
    const got = await answer(tenant, granularity, tz, from, to);
    const want = await reference(tenant, granularity, tz, from, to);
    let compared = 0;
    for (const [bucket, row] of got) {
      const pct = want.get(bucket) ?? null;
      const actual = PCTS.map((k) => row[k]);
      const expected = pct ?? [null, null, null];
      for (let i = 0; i < 3; i++) {
        if (!Object.is(actual[i], expected[i])) {
          throw new Error(
            `${what}: ${granularity} ${tz} [${from}, ${to}) bucket ${row.bucket}: ${PCTS[i]} ${actual[i]}, percentile_cont ${expected[i]}`,
          );
        }
      }
      if (pct) compared++;
    }
    for (const bucket of want.keys()) expect(got.has(bucket)).toBe(true);
    return compared;
  }

  it('a bucket whose traces all took 1,000 ms answers 1000 for every percentile, live and rolled up', async () => {
    const k = await createTenant(t);
    const start = Date.parse('2026-03-02T10:00:00Z');
    await insert(
      k,
      Array.from({ length: 500 }, (_, i) => [start + i * 7_000, 1_000_000] as [number, number]),
    );
    const check = async () => {
      for (const granularity of GRANULARITIES) {
        for (const tz of ['UTC', 'Asia/Kolkata']) {
          const rows = await answer(k, granularity, tz, '2026-03-02T00:00:00Z', '2026-03-03T00:00:00Z');
          const withLatency = [...rows.values()].filter((r) => r.trace_count !== 0);
          expect(withLatency.length).toBeGreaterThan(0);
          for (const r of withLatency) {
            expect(r).toMatchObject({ p50_latency_ms: 1000, p90_latency_ms: 1000, p99_latency_ms: 1000 });
          }
        }
      }
    };
    await check();
    await refresh();
    await check();
  });

  it(`random data: ${CASES} seeded cases, live, rolled up, stored hours and whole days (seed ${SEED})`, async () => {
    const rand = random(SEED);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
    const latencyUs = (): number | null => {
      const r = rand();
      if (r < 0.05) return null; // no ended_at
      if (r < 0.07) return 0;
      if (r < 0.08) return -Math.floor(rand() * 5_000_000); // ended before it started
      if (r < 0.3) return Math.floor(rand() * 3_000) * 1000; // whole milliseconds: ties
      if (r < 0.4) return pick([1_000_000, 250_000, 1_500]); // many identical values
      return Math.floor(Math.exp(rand() * 16)); // 1 µs to ~9 s, log-spread, µs resolution
    };
    const cases: Array<{ granularity: string; tz: string; from: string; to: string }> = [];
    for (let c = 0; c < CASES; c++) {
      // Each case lives in its own 20 days; traces over a random span, some buckets dense, some sparse.
      const base = Date.parse('2025-01-06T00:00:00Z') + c * 20 * DAY;
      const spread = pick([2 * 3_600_000, DAY, 5 * DAY, 14 * DAY]);
      const count = pick([0, 1, 2, 3, 10, 57, 200, 600]);
      const dense = rand() < 0.5;
      const traces: Array<[number, number | null]> = [];
      for (let i = 0; i < count; i++) {
        const at = dense ? base + DAY + Math.floor(rand() * 3_600_000) : base + DAY + Math.floor(rand() * spread);
        traces.push([at, latencyUs()]);
      }
      if (traces.length > 0) await insert(a, traces);
      const from = new Date(base + Math.floor(rand() * DAY * 1.5)).toISOString();
      const to = new Date(base + DAY + spread + Math.floor(rand() * 3 * DAY)).toISOString();
      cases.push({ granularity: pick(GRANULARITIES), tz: pick(ZONES), from, to });
    }
    let compared = 0;
    for (const c of cases) compared += await expectExact(a, c.granularity, c.tz, c.from, c.to, 'live');
    await refresh();
    for (const c of cases) compared += await expectExact(a, c.granularity, c.tz, c.from, c.to, 'rolled up');
    // UTC: whole rolled-up hours answer from the percentiles the refresher stored; whole days locate
    // their ranks in the daily histogram.
    for (const c of cases) compared += await expectExact(a, 'hour', 'UTC', c.from, c.to, 'stored hours');
    for (const c of cases) compared += await expectExact(a, 'day', 'UTC', c.from, c.to, 'whole days');
    const [{ stored }] = await t.dataSource.query(
      `SELECT count(*)::int AS stored FROM latency_hour_percentiles WHERE project_id = $1`,
      [a.projectId],
    );
    expect(stored).toBeGreaterThan(10);
    const [{ days }] = await t.dataSource.query(
      `SELECT count(DISTINCT day)::int AS days FROM latency_day_rollups WHERE project_id = $1`,
      [a.projectId],
    );
    expect(days).toBeGreaterThan(10);
    expect(compared).toBeGreaterThan(200);
  });
});
