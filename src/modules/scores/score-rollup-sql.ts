import { SLOT_LENGTH, slotOf } from '../analytics/rollup-sql';
import { bucketLabel, bucketOf, bucketSeries } from '../analytics/time-buckets';

/**
 * Score analytics over the score rollups (migration 1764000012000), as SQL. Each read is ONE
 * statement (one snapshot): rolled-up slots and days come from score_rollups / score_value_rollups,
 * while the window's first and last slot (and day), and every slot (and day) with a dirty mark, are
 * computed live from trace_scores. The refresher and the live path use the same aggregate
 * expressions, so a refreshed slot and the same slot computed live always agree, exactly: sums are
 * numeric, and averages and the median are computed from them as avg() and percentile_cont() do.
 */

export const dayOf = (ts: string) => `date_bin('1 day', ${ts}, TIMESTAMPTZ '2000-01-01 00:00:00+00')`;
const DAY_LENGTH = `interval '1 day'`;

/** A successful NUMERIC score with a number in [0, 1]: what averages, the median and the histogram count. */
const COUNTED = `s.status = 'SUCCESS' AND s.data_type = 'NUMERIC' AND s.value_number IS NOT NULL`;

/** Columns of score_rollups after (project_id, name, slot), in table order. */
export const SCORE_AGG_COLUMNS =
  'numeric_rows, latest_at, failed_count, value_count, value_sum, value_min, value_max, unparsed_count, other_type_count, other_failed_count, other_latest_at';

/** What one slot of one metric adds up, over score rows `s` of `from`, grouped by `keys` (SQL, in order). */
export const scoreAggregates = (keys: string[], from: string) => `
  SELECT ${keys.join(', ')},
         (count(*) FILTER (WHERE s.data_type = 'NUMERIC'))::int AS numeric_rows,
         max(s.created_at) FILTER (WHERE s.data_type = 'NUMERIC') AS latest_at,
         (count(*) FILTER (WHERE s.data_type = 'NUMERIC' AND s.status = 'FAILED'))::int AS failed_count,
         (count(*) FILTER (WHERE ${COUNTED}))::int AS value_count,
         COALESCE(sum(s.value_number) FILTER (WHERE ${COUNTED}), 0) AS value_sum,
         min(s.value_number) FILTER (WHERE ${COUNTED}) AS value_min,
         max(s.value_number) FILTER (WHERE ${COUNTED}) AS value_max,
         (count(*) FILTER (WHERE s.status = 'SUCCESS' AND s.data_type = 'NUMERIC' AND s.value_number IS NULL))::int AS unparsed_count,
         (count(*) FILTER (WHERE s.status = 'SUCCESS' AND s.data_type <> 'NUMERIC'))::int AS other_type_count,
         (count(*) FILTER (WHERE s.status = 'FAILED' AND s.data_type <> 'NUMERIC'))::int AS other_failed_count,
         max(s.created_at) FILTER (WHERE s.data_type <> 'NUMERIC') AS other_latest_at
  FROM ${from}
  GROUP BY ${keys.map((_, i) => i + 1).join(', ')}`;

/** How many counted scores hold each value, over score rows `s` of `from`, grouped by `keys`. */
export const valueCounts = (keys: string[], from: string) => `
  SELECT ${[...keys, 's.value_number AS value'].join(', ')}, count(*)::int AS count
  FROM ${from}
  WHERE ${COUNTED}
  GROUP BY ${[...keys, 's.value_number'].map((_, i) => i + 1).join(', ')}`;

const SCORE_COLUMNS = 's.name, s.created_at, s.status, s.data_type, s.value_number';

/**
 * The scores of one metric of a project created in
 * [start, start + length), as a LATERAL subquery aliased `s`: PostgreSQL then reads each slot or day
 * through the (project_id, name, created_at) index, never a scan of the table joined by hash.
 */
const scoresIn = (project: string, name: string, start: string, length: string) => `(
  SELECT ${SCORE_COLUMNS} FROM trace_scores s
  WHERE s.project_id = ${project} AND s.name = ${name}
    AND s.created_at >= ${start} AND s.created_at < ${start} + ${length}
  OFFSET 0) s`;

/** The placeholders of one read: project, optional metric name, optional window bounds. */
interface Scope {
  project: string;
  /** A metric name placeholder, or null for every metric of the project. */
  name: string | null;
  /** Inclusive; may hold NULL (no lower bound). */
  from: string;
  /** Exclusive; may hold NULL (no upper bound). */
  to: string;
}

const sameName = (alias: string, sc: Scope) => (sc.name ? `AND ${alias}.name = ${sc.name}` : '');
const inWindow = (ts: string, sc: Scope) =>
  `(${sc.from} IS NULL OR ${ts} >= ${sc.from}) AND (${sc.to} IS NULL OR ${ts} < ${sc.to})`;
const last = (sc: Scope) => `(${sc.to} - interval '1 microsecond')`;

/** The window's partial first and last unit (slot or day) as CTE `name(unit)`. */
const edges = (name: string, unit: string, of: (ts: string) => string, sc: Scope) => `${name} AS (
  SELECT ${of(sc.from)} AS ${unit} WHERE ${sc.from} IS NOT NULL
  UNION SELECT ${of(last(sc))} WHERE ${sc.to} IS NOT NULL)`;

/** Raw scores of the edge units (every metric) and of the dirty (metric, unit) pairs, inside the window. */
const liveRows = (sc: Scope, edgeUnits: string, dirtyUnits: string, unit: string, length: string) => `
  SELECT s.* FROM ${edgeUnits} e CROSS JOIN metric_names m
  CROSS JOIN LATERAL ${scoresIn(sc.project, 'm.name', `e.${unit}`, length)}
  WHERE ${inWindow('s.created_at', sc)}
  UNION ALL
  SELECT s.* FROM ${dirtyUnits} d
  CROSS JOIN LATERAL ${scoresIn(sc.project, 'd.name', `d.${unit}`, length)}
  WHERE d.${unit} NOT IN (SELECT ${unit} FROM ${edgeUnits}) AND ${inWindow('s.created_at', sc)}`;

/**
 * `(name, value, c)` of the live days: each (day, metric) counts its values inside its own index
 * range, so a day of ~65,000 raw scores becomes ~1,000 small rows before anything is sorted (one sort
 * of the raw rows spilled to disk at the default work_mem). Not written over `scoresIn`: its OFFSET 0
 * keeps the window and COUNTED filters above the scan (a 1-day summary: 75 ms instead of 45, idle).
 */
const liveValueCounts = (sc: Scope) => {
  const countsIn = (name: string, day: string) => `(
    SELECT s.value_number AS value, count(*) AS c FROM trace_scores s
    WHERE s.project_id = ${sc.project} AND s.name = ${name}
      AND s.created_at >= ${day} AND s.created_at < ${day} + ${DAY_LENGTH}
      AND ${inWindow('s.created_at', sc)} AND ${COUNTED}
    GROUP BY 1) s`;
  return `
  SELECT m.name, s.value, s.c FROM edge_days e CROSS JOIN metric_names m CROSS JOIN LATERAL ${countsIn('m.name', 'e.day')}
  UNION ALL
  SELECT d.name, s.value, s.c FROM dirty_days d CROSS JOIN LATERAL ${countsIn('d.name', 'd.day')}
  WHERE d.day NOT IN (SELECT day FROM edge_days)`;
};

/**
 * CTEs shared by every read: `dirty` (name, slot) marks inside the window; `edge_slots` and
 * `edge_days`, the window's partial first and last slot and day; `live_scores`, the raw scores of
 * live slots, and `live_values`, the raw scores of live days (each read through the
 * (project_id, name, created_at) index and materialised once).
 */
const liveCtes = (sc: Scope, withValues: boolean) => {
  const ctes = [
    // The metrics to read edges for, each through the covering index. Every stored score has a rollup
    // row or a dirty mark, so these are all the project's metrics (found by skipping through the keys).
    sc.name
      ? `metric_names AS (SELECT ${sc.name} AS name)`
      : `metric_names AS (
          SELECT name FROM (
            WITH RECURSIVE skip AS (
              SELECT (SELECT min(name) FROM score_rollups WHERE project_id = ${sc.project}) AS name
              UNION ALL
              SELECT (SELECT min(r.name) FROM score_rollups r WHERE r.project_id = ${sc.project} AND r.name > skip.name)
              FROM skip WHERE skip.name IS NOT NULL)
            SELECT name FROM skip WHERE name IS NOT NULL
            UNION SELECT DISTINCT name FROM score_rollup_dirty WHERE project_id = ${sc.project}) n)`,
    `dirty AS MATERIALIZED (
      SELECT DISTINCT d.name, d.slot FROM score_rollup_dirty d
      WHERE d.project_id = ${sc.project} ${sameName('d', sc)}
        AND (${sc.from} IS NULL OR d.slot >= ${slotOf(sc.from)}) AND (${sc.to} IS NULL OR d.slot < ${sc.to}))`,
    edges('edge_slots', 'slot', slotOf, sc),
    `live_scores AS MATERIALIZED (${liveRows(sc, 'edge_slots', 'dirty', 'slot', SLOT_LENGTH)})`,
  ];
  if (withValues) {
    ctes.push(
      edges('edge_days', 'day', dayOf, sc),
      `dirty_days AS (SELECT DISTINCT name, ${dayOf('slot')} AS day FROM dirty)`,
      `live_values AS MATERIALIZED (${liveValueCounts(sc)})`,
    );
  }
  return ctes;
};

/**
 * `table alias` restricted to the scope's metric, or joined to metric_names when every metric is read:
 * each metric is then a range of the (project_id, name, ...) primary key, where `project_id` alone
 * made PostgreSQL scan the whole table.
 */
const ofScopedMetrics = (table: string, alias: string, sc: Scope) =>
  sc.name
    ? `${table} ${alias} WHERE ${alias}.project_id = ${sc.project} AND ${alias}.name = ${sc.name}`
    : `metric_names m JOIN ${table} ${alias} ON ${alias}.project_id = ${sc.project} AND ${alias}.name = m.name WHERE true`;

/** score_rollups rows `r` of whole, clean slots inside the window. */
const rolledSlots = (sc: Scope) => `${ofScopedMetrics('score_rollups', 'r', sc)}
    AND (${sc.from} IS NULL OR r.slot > ${slotOf(sc.from)}) AND (${sc.to} IS NULL OR r.slot < ${slotOf(last(sc))})
    AND (r.name, r.slot) NOT IN (SELECT name, slot FROM dirty)`;

/** score_value_rollups rows `v` of whole, clean days inside the window (NOT IN: one hashed probe per row). */
const rolledDays = (sc: Scope) => `${ofScopedMetrics('score_value_rollups', 'v', sc)}
    AND (${sc.from} IS NULL OR v.day > ${dayOf(sc.from)}) AND (${sc.to} IS NULL OR v.day < ${dayOf(last(sc))})
    AND (v.name, v.day) NOT IN (SELECT name, day FROM dirty_days)`;

/** `(name, value, c)`: counted scores per value in the window, rolled days and live days together. */
const VALUES_CTE = (sc: Scope) => `
  vals AS (
    SELECT name, value, sum(c) AS c FROM (
      SELECT name, value, c FROM live_values
      UNION ALL
      SELECT v.name, v.value, sum(v.count) FROM ${rolledDays(sc)} GROUP BY 1, 2
    ) parts GROUP BY 1, 2)`;

/** Sums of score_rollups columns per `key`, live slots and rolled slots together. */
const SLOT_SUMS = (sc: Scope, key: { live: string; rolled: string }) => `
  SELECT b, sum(numeric_rows) AS numeric_rows, max(latest_at) AS latest_at, sum(failed_count) AS failed_count,
         sum(value_count) AS value_count, sum(value_sum) AS value_sum, min(value_min) AS value_min,
         max(value_max) AS value_max, sum(unparsed_count) AS unparsed_count, sum(other_type_count) AS other_type_count,
         sum(other_failed_count) AS other_failed_count, max(other_latest_at) AS other_latest_at
  FROM (
    ${scoreAggregates([`${key.live} AS b`], 'live_scores s')}
    UNION ALL
    SELECT ${key.rolled} AS b, ${SCORE_AGG_COLUMNS} FROM ${rolledSlots(sc)}
  ) parts
  GROUP BY b`;

/** The exact percentile_cont(0.5) of each metric, from its (value, count) pairs. */
const MEDIAN_CTE = `
  med AS (
    SELECT name, lo::float8 + (r - floor(r))::float8 * (hi::float8 - lo::float8) AS median
    FROM (
      SELECT name, 0.5 * (max(n) - 1) AS r,
             min(value) FILTER (WHERE upto > floor(0.5 * (n - 1))) AS lo,
             min(value) FILTER (WHERE upto > ceil(0.5 * (n - 1))) AS hi
      FROM (SELECT name, value, sum(c) OVER (PARTITION BY name ORDER BY value) AS upto,
                   sum(c) OVER (PARTITION BY name) AS n FROM vals) cum
      GROUP BY name
    ) ranks)`;

/**
 * Summary of every metric, of any data type (as the original): $1 project, $2 from (or NULL), $3 to
 * (or NULL). Counts cover every type; the statistics the counted numbers only (null for a BOOLEAN or
 * CATEGORICAL metric); non_numeric counts the successes left out of them.
 */
const SUMMARY_SCOPE: Scope = { project: '$1::uuid', name: null, from: '$2::timestamptz', to: '$3::timestamptz' };
export const SCORE_SUMMARY = `
  WITH ${liveCtes(SUMMARY_SCOPE, true).join(',\n')},
  ${VALUES_CTE(SUMMARY_SCOPE)},
  ${MEDIAN_CTE},
  agg AS (${SLOT_SUMS(SUMMARY_SCOPE, { live: 's.name', rolled: 'r.name' })})
  SELECT agg.b AS name, (agg.value_sum / NULLIF(agg.value_count, 0))::float8 AS avg,
         agg.value_min::float8 AS min, agg.value_max::float8 AS max, med.median,
         (agg.value_count + agg.unparsed_count + agg.other_type_count)::int AS succeeded,
         (agg.failed_count + agg.other_failed_count)::int AS failed,
         (agg.unparsed_count + agg.other_type_count)::int AS non_numeric,
         greatest(agg.latest_at, agg.other_latest_at) AS latest
  FROM agg LEFT JOIN med ON med.name = agg.b
  WHERE agg.numeric_rows + agg.other_type_count + agg.other_failed_count > 0
  ORDER BY agg.b`;

/** Trend of one metric: $1 project, $2 metric, $3 granularity, $4 from, $5 to, $6 zone. */
const TREND_SCOPE: Scope = { project: '$1::uuid', name: '$2::text', from: '$4::timestamptz', to: '$5::timestamptz' };
export const SCORE_TREND = `
  WITH ${liveCtes(TREND_SCOPE, false).join(',\n')},
  agg AS (${SLOT_SUMS(TREND_SCOPE, {
    live: bucketOf('s.created_at', '$3::text', '$6::text'),
    rolled: bucketOf('r.slot', '$3::text', '$6::text'),
  })})
  SELECT ${bucketLabel('x.b', '$6::text')} AS bucket,
         COALESCE((agg.value_sum / NULLIF(agg.value_count, 0))::float8, 0) AS avg,
         COALESCE(agg.value_count, 0)::int AS count
  FROM (${bucketSeries('$3::text', '$4', '$5', '$6::text')}) x LEFT JOIN agg ON agg.b = x.b
  ORDER BY x.b`;

/**
 * Histogram of one metric: $1 project, $2 metric, $3 from (or NULL), $4 to (or NULL), $5 buckets.
 * Bucket i holds [(i-1)/n, i/n); 1.0 joins bucket n. Row bucket NULL counts the successful scores
 * that are not numbers (other data types, or values score_number does not read).
 */
const DISTRIBUTION_SCOPE: Scope = {
  project: '$1::uuid',
  name: '$2::text',
  from: '$3::timestamptz',
  to: '$4::timestamptz',
};
export const SCORE_DISTRIBUTION = `
  WITH ${liveCtes(DISTRIBUTION_SCOPE, true).join(',\n')},
  ${VALUES_CTE(DISTRIBUTION_SCOPE)},
  agg AS (${SLOT_SUMS(DISTRIBUTION_SCOPE, { live: 's.name', rolled: 'r.name' })})
  SELECT least(width_bucket(value, 0, 1, $5::int), $5::int) AS bucket, sum(c)::int AS count FROM vals GROUP BY 1
  UNION ALL
  SELECT NULL, sum(unparsed_count + other_type_count)::int FROM agg HAVING sum(unparsed_count + other_type_count) > 0`;

/** The taken (project, name, slot) triples, as `d(p, n, s)`, and their days as `d(p, n, day)`. */
const TRIPLES = `unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS d(p, n, s)`;
const DAYS = `(SELECT DISTINCT p, n, ${dayOf('s')} AS day FROM ${TRIPLES}) d`;

/** The refresher's statements: drop the rollup rows of the taken slots and days, then recompute them. */
export const SCORE_REFRESH = [
  `DELETE FROM score_rollups r USING ${TRIPLES} WHERE r.project_id = d.p AND r.name = d.n AND r.slot = d.s`,
  `DELETE FROM score_value_rollups v USING ${DAYS} WHERE v.project_id = d.p AND v.name = d.n AND v.day = d.day`,
  `INSERT INTO score_rollups (project_id, name, slot, ${SCORE_AGG_COLUMNS})
   ${scoreAggregates(['d.p', 'd.n', 'd.s'], `${TRIPLES} CROSS JOIN LATERAL ${scoresIn('d.p', 'd.n', 'd.s', SLOT_LENGTH)}`)}`,
  `INSERT INTO score_value_rollups (project_id, name, day, value, count)
   ${valueCounts(['d.p', 'd.n', 'd.day'], `${DAYS} CROSS JOIN LATERAL ${scoresIn('d.p', 'd.n', 'd.day', DAY_LENGTH)}`)}`,
];
