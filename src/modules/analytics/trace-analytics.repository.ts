import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AnalyticsBucketDto, TokenCostBucketDto, TopModelDto } from './dto/trace-analytics-response.dto';
import { BucketWindow, bucketLabel, bucketOf, bucketSeries } from './time-buckets';
import { withTimeZoneErrors } from './time-zone-errors';

/** Placeholders shared by every statement here: $1 project, $2 granularity, $3 from, $4 to, $5 zone. */
const P = { project: '$1::uuid', g: '$2::text', from: '$3::timestamptz', to: '$4::timestamptz', tz: '$5::text' };

const IN_WINDOW = (t: string, from = P.from, to = P.to) =>
  `${t}.project_id = ${P.project} AND ${t}.started_at >= ${from} AND ${t}.started_at < ${to}`;

/** A number inside a JSON object, or 0 when it is missing or not a number (what the trace totals count). */
const jsonNumber = (json: string, key: string) =>
  `COALESCE(CASE WHEN jsonb_typeof(${json}->'${key}') = 'number' THEN (${json}->>'${key}')::numeric END, 0)`;
const PROMPT = jsonNumber('s.token_usage', 'prompt_tokens');
const COMPLETION = jsonNumber('s.token_usage', 'completion_tokens');
const COST = jsonNumber('s.cost', 'total');

/** Every bucket of the window, left-joined to `agg` (rows keyed by `b`), in order. */
const zeroFilled = (agg: string, columns: string) => `
  WITH agg AS (${agg})
  SELECT ${bucketLabel('s.b', P.tz)} AS bucket, ${columns}
  FROM (${bucketSeries(P.g, P.from, P.to, P.tz)}) s LEFT JOIN agg ON agg.b = s.b
  ORDER BY s.b`;

const TRACE_COUNTS = (withLatency: boolean) =>
  zeroFilled(
    `SELECT ${bucketOf('t.started_at', P.g, P.tz)} AS b, count(*)::int AS trace_count,
            (count(*) FILTER (WHERE t.status = 'ERROR'))::int AS error_count
            ${
              withLatency
                ? `, avg(t.latency_ms) AS avg_latency_ms,
                   percentile_cont(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP (ORDER BY t.latency_ms) AS pct`
                : ''
            }
     FROM traces t WHERE ${IN_WINDOW('t')} GROUP BY 1`,
    `COALESCE(agg.trace_count, 0) AS trace_count, COALESCE(agg.error_count, 0) AS error_count
     ${
       withLatency
         ? `, agg.avg_latency_ms, agg.pct[1] AS p50_latency_ms, agg.pct[2] AS p90_latency_ms, agg.pct[3] AS p99_latency_ms`
         : ''
     }`,
  );

const TOKENS_AND_COST = zeroFilled(
  `SELECT ${bucketOf('t.started_at', P.g, P.tz)} AS b, sum(${PROMPT}) AS prompt_tokens,
          sum(${COMPLETION}) AS completion_tokens, sum(${COST})::float8 AS total_cost
   FROM traces t JOIN spans s ON s.trace_id = t.trace_id WHERE ${IN_WINDOW('t')} GROUP BY 1`,
  `round(COALESCE(agg.prompt_tokens, 0) + COALESCE(agg.completion_tokens, 0))::float8 AS total_tokens,
   round(COALESCE(agg.prompt_tokens, 0))::float8 AS prompt_tokens,
   round(COALESCE(agg.completion_tokens, 0))::float8 AS completion_tokens,
   COALESCE(agg.total_cost, 0) AS total_cost`,
);

const MODELS = `
  SELECT s.model, count(*)::int AS call_count, round(sum(${PROMPT} + ${COMPLETION}))::float8 AS total_tokens,
         sum(${COST})::float8 AS total_cost
  FROM traces t JOIN spans s ON s.trace_id = t.trace_id
  WHERE ${IN_WINDOW('t', '$2::timestamptz', '$3::timestamptz')} AND s.model IS NOT NULL
  GROUP BY s.model ORDER BY call_count DESC, s.model`;

/** Trace analytics straight from the traces and spans tables, one statement per request. */
@Injectable()
export class TraceAnalyticsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  traceCounts(projectId: string, w: BucketWindow, withLatency: boolean): Promise<AnalyticsBucketDto[]> {
    return this.query(TRACE_COUNTS(withLatency), projectId, w);
  }

  tokensAndCost(projectId: string, w: BucketWindow): Promise<TokenCostBucketDto[]> {
    return this.query(TOKENS_AND_COST, projectId, w);
  }

  /** Not bucketed: the whole window. */
  models(projectId: string, from: string, to: string): Promise<TopModelDto[]> {
    return this.dataSource.query(MODELS, [projectId, from, to]);
  }

  private query<T>(sql: string, projectId: string, w: BucketWindow): Promise<T[]> {
    return withTimeZoneErrors(() => this.dataSource.query(sql, [projectId, w.granularity, w.from, w.to, w.tz]));
  }
}
