import { LATENCY_FRACTIONS, latencyBucket } from './rollup-sql';

/**
 * Exact latency percentiles: the numbers `percentile_cont(p) WITHIN GROUP (ORDER BY latency_ms)`
 * gives over a bucket's traces, without sorting the bucket.
 *
 * The latency histogram (rollups plus live slots; its counts are exact) says in which histogram
 * bucket `k` the r-th smallest latency of a time bucket lies, and at which offset inside it. That one
 * value is then read from the raw traces through `ix_traces_latency_rank (project_id, k(latency_ms),
 * started_at) INCLUDE (latency_ms)`: the traces of one time bucket in one 2 %-wide latency band, a
 * small fraction of the bucket. percentile_cont's arithmetic is repeated in float8 as PostgreSQL's C
 * code does it (ranks floor and ceil of p·(n−1), then `lo + frac·(hi − lo)` unless they are equal), so
 * the answer is the same number, not a close one.
 */

/**
 * CTEs ending in `exact_pcts(b, pct float8[3])`, one row per time bucket of `hist(b, k, c)` (latency counts
 * per time bucket `b` and histogram bucket `k`, bigint; a CTE name). `bounds(b, lo, hi)` (a CTE name) gives
 * each bucket's part of the window; `project` is the project placeholder. Every relation is joined
 * on `b` (hashed), never scanned per row.
 */
export const exactPercentileCtes = (hist: string, bounds: string, project: string) => `
  pct_cum AS (
    SELECT b, k, c, (sum(c) OVER (PARTITION BY b ORDER BY k) - c)::bigint AS before FROM ${hist}),
  pct_ranks AS (
    SELECT n.b, p.p, floor(p.p * (n.n - 1)::float8)::bigint AS lo, ceil(p.p * (n.n - 1)::float8)::bigint AS hi,
           p.p * (n.n - 1)::float8 - floor(p.p * (n.n - 1)::float8) AS frac
    FROM (SELECT b, sum(c)::bigint AS n FROM ${hist} GROUP BY b) n
    CROSS JOIN unnest(${LATENCY_FRACTIONS}) AS p(p)),
  pct_picks AS (
    SELECT DISTINCT r.b, x.rank, c.k, x.rank - c.before AS off
    FROM pct_ranks r CROSS JOIN LATERAL (VALUES (r.lo), (r.hi)) AS x(rank)
    JOIN pct_cum c ON c.b = r.b AND x.rank >= c.before AND x.rank < c.before + c.c),
  pct_values AS (
    SELECT k.b, k.rank,
           (SELECT t.latency_ms FROM traces t
            WHERE t.project_id = ${project} AND t.latency_ms IS NOT NULL AND ${latencyBucket('t.latency_ms')} = k.k
              AND t.started_at >= w.lo AND t.started_at < w.hi
            ORDER BY t.latency_ms OFFSET k.off LIMIT 1) AS v
    FROM pct_picks k JOIN ${bounds} w ON w.b = k.b),
  exact_pcts AS (
    SELECT r.b, array_agg(CASE WHEN r.lo = r.hi THEN lo.v ELSE lo.v + r.frac * (hi.v - lo.v) END ORDER BY r.p) AS pct
    FROM pct_ranks r
    JOIN pct_values lo ON lo.b = r.b AND lo.rank = r.lo
    JOIN pct_values hi ON hi.b = r.b AND hi.rank = r.hi
    GROUP BY r.b)`;
