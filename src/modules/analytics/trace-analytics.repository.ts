import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AnalyticsBucketDto, TokenCostBucketDto, TopModelDto } from './dto/trace-analytics-response.dto';
import {
  dayOf,
  hourOf,
  Key,
  latencyAggregates,
  modelAggregates,
  SLOT_LENGTH,
  slotOf,
  TRACE_COLUMNS,
  traceAggregates,
} from './rollup-sql';
import { BucketWindow, bucketLabel, bucketOf, bucketSeries } from './time-buckets';
import { analyticsQuery } from './analytics-query';
import { exactPercentileCtes } from './exact-percentiles';

interface Placeholders {
  project: string;
  from: string;
  to: string;
}

/**
 * Exact answers from rollups plus raw rows, in ONE statement (one snapshot): the slots that are
 * dirty (changed since their last refresh) and the first and last slot of the window (partial) are
 * computed live from traces and spans; every other slot of the window comes from the rollups.
 */
const liveSlots = (p: Placeholders) => `
  live_slots AS (
    SELECT ${slotOf(p.from)} AS slot
    UNION SELECT ${slotOf(`${p.to} - interval '1 microsecond'`)}
    UNION SELECT d.slot FROM rollup_dirty d
          WHERE d.project_id = ${p.project} AND d.slot >= ${slotOf(p.from)} AND d.slot < ${p.to})`;

/**
 * Traces of the live slots, inside the window: a few slots, read through the (project, started_at)
 * index once and materialised, so the aggregates over them never plan a scan of the whole table.
 */
const liveTracesCte = (p: Placeholders) => `
  live_traces AS MATERIALIZED (
    SELECT ${TRACE_COLUMNS} FROM live_slots l
    JOIN traces t ON t.project_id = ${p.project}
     AND t.started_at >= greatest(l.slot, ${p.from}) AND t.started_at < least(l.slot + ${SLOT_LENGTH}, ${p.to}))`;
const LIVE_TRACES = 'live_traces t';

/** Rollup rows `r` of the slots strictly inside the window that are not live. */
const rolled = (table: string, p: Placeholders) => `${table} r
  WHERE r.project_id = ${p.project} AND r.slot > ${slotOf(p.from)}
    AND r.slot < ${slotOf(`${p.to} - interval '1 microsecond'`)}
    AND r.slot NOT IN (SELECT slot FROM live_slots)`;

/** Bucketed statements: $1 project, $2 granularity, $3 from, $4 to, $5 zone. */
const B: Placeholders = { project: '$1::uuid', from: '$3::timestamptz', to: '$4::timestamptz' };
const G = '$2::text';
const TZ = '$5::text';
const bucketKey = (ts: string): Key => [bucketOf(ts, G, TZ), 'b'];
const bucket = (ts: string) => `${bucketOf(ts, G, TZ)} AS b`;

/** Trace counts, latency sums and token/cost sums per bucket. */
const TOTALS = `
  totals AS (
    SELECT b, sum(trace_count)::int AS trace_count, sum(error_count)::int AS error_count,
           sum(latency_sum) / NULLIF(sum(latency_count), 0) AS avg_latency_ms,
           sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens,
           sum(total_cost)::float8 AS total_cost
    FROM (
      ${traceAggregates([bucketKey('t.started_at')], LIVE_TRACES)}
      UNION ALL
      SELECT ${bucket('r.slot')}, sum(trace_count), sum(error_count), sum(latency_count), sum(latency_sum),
             sum(prompt_tokens), sum(completion_tokens), sum(total_cost)
      FROM ${rolled('trace_rollups', B)} GROUP BY 1
    ) parts
    GROUP BY b)`;

/**
 * Rolled-up slots are read per slot, per hour or per day through the primary keys (LATERAL), never by
 * scanning the window and filtering. UTC days, then UTC hours, whose slots are all rolled up (strictly
 * inside the window, none live) and fall in one bucket (not so in zones whose day starts elsewhere):
 * their histogram comes from latency_day_rollups / latency_hour_rollups (a 96th / a quarter of the
 * rows); the other rolled-up slots (`split_slots`) from latency_rollups. The histogram locates each
 * percentile's rank (exact-percentiles.ts). An hour bucket that is exactly one whole hour takes the
 * percentiles the refresher computed with percentile_cont over the hour's traces (`precomputed`): one
 * row, no lookup.
 */
const WHOLE_HOURS = `
  whole_days AS (
    SELECT g.d FROM generate_series(${dayOf(B.from)}, ${dayOf(B.to)}, interval '1 day') AS g(d)
    WHERE g.d > ${slotOf(B.from)} AND g.d + interval '23 hours 45 minutes' < ${slotOf(`${B.to} - interval '1 microsecond'`)}
      AND NOT EXISTS (SELECT 1 FROM live_slots l WHERE l.slot >= g.d AND l.slot < g.d + interval '1 day')
      AND ${bucketOf('g.d', G, TZ)} = ${bucketOf(`g.d + interval '23 hours 45 minutes'`, G, TZ)}),
  whole_hours AS (
    SELECT g.h FROM generate_series(${hourOf(B.from)}, ${hourOf(B.to)}, interval '1 hour') AS g(h)
    WHERE g.h > ${slotOf(B.from)} AND g.h + interval '45 minutes' < ${slotOf(`${B.to} - interval '1 microsecond'`)}
      AND NOT EXISTS (SELECT 1 FROM live_slots l WHERE l.slot >= g.h AND l.slot < g.h + interval '1 hour')
      AND ${bucketOf('g.h', G, TZ)} = ${bucketOf(`g.h + interval '45 minutes'`, G, TZ)}
      AND ${dayOf('g.h')} NOT IN (SELECT d FROM whole_days)),
  split_slots AS (
    SELECT g.slot FROM generate_series(${slotOf(B.from)} + ${SLOT_LENGTH},
                                       ${slotOf(`${B.to} - interval '1 microsecond'`)} - ${SLOT_LENGTH}, ${SLOT_LENGTH}) AS g(slot)
    WHERE g.slot NOT IN (SELECT slot FROM live_slots) AND ${hourOf('g.slot')} NOT IN (SELECT h FROM whole_hours)
      AND ${dayOf('g.slot')} NOT IN (SELECT d FROM whole_days)),
  precomputed AS (
    SELECT w.h AS b, p.pct FROM whole_hours w
    CROSS JOIN LATERAL (SELECT p.pct FROM latency_hour_percentiles p
                        WHERE p.project_id = ${B.project} AND p.hour = w.h OFFSET 0) p
    WHERE ${G} = 'hour' AND ${bucketOf('w.h', G, TZ)} = w.h)`;

/** Latency counts per bucket and histogram bucket k, for the buckets without precomputed percentiles. */
const LATENCY_HISTOGRAM = `
  latency_hist AS (
    SELECT b, k, sum(count)::bigint AS c FROM (
      ${latencyAggregates([bucketKey('t.started_at')], LIVE_TRACES)}
      UNION ALL
      SELECT ${bucket('r.slot')}, r.k, sum(r.count) FROM split_slots x
      CROSS JOIN LATERAL (SELECT r.slot, r.k, r.count FROM latency_rollups r
                          WHERE r.project_id = ${B.project} AND r.slot = x.slot OFFSET 0) r
      GROUP BY 1, 2
      UNION ALL
      SELECT ${bucket('h.hour')}, h.k, sum(h.count) FROM whole_hours w
      CROSS JOIN LATERAL (SELECT h.hour, h.k, h.count FROM latency_hour_rollups h
                          WHERE h.project_id = ${B.project} AND h.hour = w.h OFFSET 0) h
      WHERE w.h NOT IN (SELECT b FROM precomputed)
      GROUP BY 1, 2
      UNION ALL
      SELECT ${bucket('d.day')}, d.k, sum(d.count) FROM whole_days w
      CROSS JOIN LATERAL (SELECT d.day, d.k, d.count FROM latency_day_rollups d
                          WHERE d.project_id = ${B.project} AND d.day = w.d OFFSET 0) d
      GROUP BY 1, 2
    ) parts WHERE b NOT IN (SELECT b FROM precomputed) GROUP BY b, k),
  bucket_bounds AS (
    SELECT b, greatest(b, ${B.from}) AS lo, least(COALESCE(lead(b) OVER (ORDER BY b), ${B.to}), ${B.to}) AS hi
    FROM (${bucketSeries(G, B.from, B.to, TZ)}) s)`;

const LATENCY_PERCENTILES = `
  ${exactPercentileCtes('latency_hist', 'bucket_bounds', B.project)},
  pcts AS (SELECT b, pct FROM precomputed UNION ALL SELECT b, pct FROM exact_pcts)`;

/** Every bucket of the window, left-joined to the per-bucket CTEs, in order. */
const zeroFilled = (ctes: string[], columns: string, joins: string) => `
  WITH ${[liveSlots(B), liveTracesCte(B), ...ctes].join(',\n')}
  SELECT ${bucketLabel('s.b', TZ)} AS bucket, ${columns}
  FROM (${bucketSeries(G, B.from, B.to, TZ)}) s ${joins}
  ORDER BY s.b`;

const TRACE_COUNTS = zeroFilled(
  [TOTALS],
  `COALESCE(totals.trace_count, 0) AS trace_count, COALESCE(totals.error_count, 0) AS error_count`,
  'LEFT JOIN totals ON totals.b = s.b',
);

const LATENCY = zeroFilled(
  [TOTALS, WHOLE_HOURS, LATENCY_HISTOGRAM, LATENCY_PERCENTILES],
  `COALESCE(totals.trace_count, 0) AS trace_count, COALESCE(totals.error_count, 0) AS error_count,
   totals.avg_latency_ms, pcts.pct[1] AS p50_latency_ms, pcts.pct[2] AS p90_latency_ms, pcts.pct[3] AS p99_latency_ms`,
  'LEFT JOIN totals ON totals.b = s.b LEFT JOIN pcts ON pcts.b = s.b',
);

const TOKENS_AND_COST = zeroFilled(
  [TOTALS],
  `round(COALESCE(totals.prompt_tokens, 0) + COALESCE(totals.completion_tokens, 0))::float8 AS total_tokens,
   round(COALESCE(totals.prompt_tokens, 0))::float8 AS prompt_tokens,
   round(COALESCE(totals.completion_tokens, 0))::float8 AS completion_tokens,
   COALESCE(totals.total_cost, 0) AS total_cost`,
  'LEFT JOIN totals ON totals.b = s.b',
);

/** Not bucketed: $1 project, $2 from, $3 to. */
const M: Placeholders = { project: '$1::uuid', from: '$2::timestamptz', to: '$3::timestamptz' };
const MODELS = `
  WITH ${liveSlots(M)}, ${liveTracesCte(M)}
  SELECT model, sum(call_count)::int AS call_count, round(sum(total_tokens))::float8 AS total_tokens,
         sum(total_cost)::float8 AS total_cost
  FROM (
    ${modelAggregates([], LIVE_TRACES)}
    UNION ALL
    SELECT r.model, sum(r.call_count), sum(r.total_tokens), sum(r.total_cost) FROM ${rolled('model_rollups', M)} GROUP BY 1
  ) parts
  GROUP BY model
  ORDER BY call_count DESC, model`;

/** Trace analytics reads: one statement per request, scoped by project. */
@Injectable()
export class TraceAnalyticsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  traceCounts(projectId: string, w: BucketWindow, withLatency: boolean): Promise<AnalyticsBucketDto[]> {
    return this.bucketed(withLatency ? LATENCY : TRACE_COUNTS, projectId, w);
  }

  tokensAndCost(projectId: string, w: BucketWindow): Promise<TokenCostBucketDto[]> {
    return this.bucketed(TOKENS_AND_COST, projectId, w);
  }

  models(projectId: string, from: string, to: string): Promise<TopModelDto[]> {
    return analyticsQuery(this.dataSource, MODELS, [projectId, from, to]);
  }

  private bucketed<T>(sql: string, projectId: string, w: BucketWindow): Promise<T[]> {
    return analyticsQuery(this.dataSource, sql, [projectId, w.granularity, w.from, w.to, w.tz]);
  }
}
