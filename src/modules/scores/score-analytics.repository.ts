import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { sqlTimestamp } from '../../common/timestamps';
import { analyticsQuery } from '../analytics/analytics-query';
import { BucketWindow, bucketLabel, bucketOf, bucketSeries } from '../analytics/time-buckets';
import { SCORE_DISTRIBUTION, SCORE_SUMMARY, SCORE_TREND } from './score-rollup-sql';

/**
 * Every statement reads values as `value_number`, the stored `score_number(value)` (migration
 * 1764000003000): NULL for a value that is not a number in [0, 1], which is counted apart and never
 * cast, so no stored row can break a chart. Trace and session scores have the same columns, so each
 * statement is built once per table; `ix_trace_scores_analytics` / `ix_session_scores_analytics`
 * cover these reads. Trace score summary, trend and distribution read the score rollups instead
 * (score-rollup-sql.ts), the index covering their live parts.
 */

/** Which score table a chart reads: scores of single traces or of whole sessions. */
export type ScoreTarget = 'trace' | 'session';
const TABLES: Record<ScoreTarget, string> = { trace: 'trace_scores', session: 'session_scores' };

export interface ScoreSummaryRow {
  name: string;
  avg: number | null;
  min: number | null;
  max: number | null;
  median: number | null;
  succeeded: number;
  failed: number;
  nonNumeric: number;
  latest: Date;
}

export interface TrendRow {
  bucket: string;
  avg: number;
  count: number;
}

/** Optional created_at window on placeholders `$a` (inclusive) and `$b` (exclusive). */
const CREATED_IN = (a: string, b: string) =>
  `(${a}::timestamptz IS NULL OR s.created_at >= ${a}::timestamptz) AND (${b}::timestamptz IS NULL OR s.created_at < ${b}::timestamptz)`;

/** The scores a trend or histogram of metric $2 counts as numbers. */
const NUMERIC_OF_METRIC = `s.project_id = $1::uuid AND s.name = $2::text AND s.status = 'SUCCESS' AND s.data_type = 'NUMERIC'`;

/** `AND` the score's metric version is parameter $n (`metadata.metric_version`, ix_trace_scores_metric_version). */
const versionIs = (n: number) => ` AND s.metadata ? 'metric_version' AND s.metadata->>'metric_version' = $${n}::text`;

/**
 * The statements of one score table (its name is ours, never input); `versioned`: bounds, trend and
 * distribution take the metric version as their last parameter.
 */
const statementsFor = (table: string, versioned = false) => ({
  summary: `
  SELECT name, avg(n)::float8 AS avg, min(n)::float8 AS min, max(n)::float8 AS max,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY n::float8) AS median,
         (count(*) FILTER (WHERE status = 'SUCCESS'))::int AS succeeded,
         (count(*) FILTER (WHERE status = 'FAILED'))::int AS failed,
         (count(*) FILTER (WHERE status = 'SUCCESS' AND n IS NULL))::int AS non_numeric,
         max(created_at) AS latest
  FROM (SELECT s.name, s.status, s.created_at,
               CASE WHEN s.status = 'SUCCESS' AND s.data_type = 'NUMERIC' THEN s.value_number END AS n
        FROM ${table} s
        WHERE s.project_id = $1 AND ${CREATED_IN('$2', '$3')}) s
  GROUP BY name
  ORDER BY name`,

  bounds: `
  SELECT ${sqlTimestamp('min(s.created_at)')} AS first,
         ${sqlTimestamp(`(date_trunc('milliseconds', max(s.created_at)) + interval '1 millisecond')`)} AS after_last
  FROM ${table} s WHERE ${NUMERIC_OF_METRIC} AND ${CREATED_IN('$3', '$4')}${versioned ? versionIs(5) : ''}`,

  /** $1 project, $2 metric, $3 granularity, $4 from, $5 to, $6 zone. */
  trend: `
  WITH agg AS (
    SELECT ${bucketOf('s.created_at', '$3::text', '$6::text')} AS b, avg(n)::float8 AS avg, count(*)::int AS count
    FROM (SELECT s.created_at, s.value_number AS n FROM ${table} s
          WHERE ${NUMERIC_OF_METRIC} AND s.created_at >= $4::timestamptz AND s.created_at < $5::timestamptz${versioned ? versionIs(7) : ''}) s
    WHERE n IS NOT NULL
    GROUP BY 1)
  SELECT ${bucketLabel('x.b', '$6::text')} AS bucket, COALESCE(agg.avg, 0) AS avg, COALESCE(agg.count, 0) AS count
  FROM (${bucketSeries('$3::text', '$4', '$5', '$6::text')}) x LEFT JOIN agg ON agg.b = x.b
  ORDER BY x.b`,

  /**
   * $1 project, $2 metric, $3 from, $4 to, $5 buckets. Bucket i holds [(i-1)/n, i/n); 1.0 joins bucket n
   * (width_bucket alone would open an n+1th). Row bucket NULL counts the non-numeric successful scores.
   */
  distribution: `
  SELECT CASE WHEN n IS NOT NULL THEN least(width_bucket(n, 0, 1, $5::int), $5::int) END AS bucket, count(*)::int AS count
  FROM (SELECT CASE WHEN s.data_type = 'NUMERIC' THEN s.value_number END AS n
        FROM ${table} s
        WHERE s.project_id = $1::uuid AND s.name = $2::text AND s.status = 'SUCCESS' AND ${CREATED_IN('$3', '$4')}${versioned ? versionIs(6) : ''}) s
  GROUP BY 1`,
});

const STATEMENTS = {
  // Trace scores: summary, trend and distribution read the score rollups (score-rollup-sql.ts), with
  // the same parameters. Session scores have no rollups yet: read raw through their covering index.
  trace: {
    ...statementsFor(TABLES.trace),
    summary: SCORE_SUMMARY,
    trend: SCORE_TREND,
    distribution: SCORE_DISTRIBUTION,
  },
  session: statementsFor(TABLES.session),
};

/** With a metric version: read raw (the rollups have no version dimension), through ix_trace_scores_metric_version. */
const VERSIONED = {
  trace: statementsFor(TABLES.trace, true),
  session: statementsFor(TABLES.session, true),
};

const statementsOf = (target: ScoreTarget, version?: string) =>
  (version === undefined ? STATEMENTS : VERSIONED)[target];
const withVersion = (params: unknown[], version?: string) => (version === undefined ? params : [...params, version]);

/** A score's number for a chart: its value when a successful NUMERIC score in [0, 1], else NULL. */
const CHART_NUMBER = `(CASE WHEN s.status = 'SUCCESS' AND s.data_type = 'NUMERIC' THEN s.value_number END)::float8`;

/**
 * $1 project, $2 session, $3 metric or NULL, $4 limit: the newest $4 scores of the session, oldest
 * first. Served by ix_session_scores_project_session.
 */
const SESSION_HISTORY = `
  SELECT name, score, eval_run_id, created_at, status
  FROM (SELECT s.name, ${CHART_NUMBER} AS score, s.eval_run_id, s.created_at, s.status, s.id
        FROM session_scores s
        WHERE s.project_id = $1::uuid AND s.session_id = $2::text AND ($3::text IS NULL OR s.name = $3::text)
        ORDER BY s.created_at DESC, s.id DESC
        LIMIT $4::int) s
  ORDER BY created_at, id`;

/** The latest score of metric $2 of each session of project $1 (any status), read in ix_session_scores_latest order. */
const LATEST_PER_SESSION = `
  SELECT DISTINCT ON (s.session_id) s.session_id, ${CHART_NUMBER} AS score, s.created_at, s.eval_run_id
  FROM session_scores s
  WHERE s.project_id = $1::uuid AND s.name = $2::text
  ORDER BY s.session_id, s.created_at DESC, s.id DESC`;

/**
 * A page of the latest scores ranked; numberless ones last in both orders, ties by session id. The
 * window count is the number of ranked sessions, read in the same pass (absent past the last page).
 */
const COMPARISON = (order: 'ASC' | 'DESC') => `
  SELECT session_id, score, created_at AS evaluated_at, eval_run_id, count(*) OVER ()::int AS total
  FROM (${LATEST_PER_SESSION}) l
  ORDER BY score ${order} NULLS LAST, session_id
  LIMIT $3::int OFFSET $4::int`;
const COMPARISON_BY_ORDER = { asc: COMPARISON('ASC'), desc: COMPARISON('DESC') };

/** The number of ranked sessions, for a page past the last one. */
const COMPARISON_TOTAL = `SELECT count(*)::int AS total FROM (${LATEST_PER_SESSION}) l`;

export interface SessionHistoryRow {
  name: string;
  score: number | null;
  eval_run_id: string | null;
  created_at: Date;
  status: string;
}

export interface SessionComparisonRow {
  session_id: string;
  score: number | null;
  evaluated_at: Date;
  eval_run_id: string | null;
}

/**
 * Score analytics, each one statement scoped by project: summary, trend and distribution of trace or
 * session scores; a session's history and the sessions' ranking.
 */
@Injectable()
export class ScoreAnalyticsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async summary(target: ScoreTarget, projectId: string, from?: string, before?: string): Promise<ScoreSummaryRow[]> {
    const rows = await analyticsQuery<Record<string, unknown>>(this.dataSource, STATEMENTS[target].summary, [
      projectId,
      from ?? null,
      before ?? null,
    ]);
    return rows.map((r) => ({
      name: String(r.name),
      avg: r.avg as number | null,
      min: r.min as number | null,
      max: r.max as number | null,
      median: r.median as number | null,
      succeeded: Number(r.succeeded),
      failed: Number(r.failed),
      nonNumeric: Number(r.non_numeric),
      latest: r.latest as Date,
    }));
  }

  /** The created_at window of a metric's scores inside optional bounds: [first, the next millisecond after the last), or null. */
  async bounds(
    target: ScoreTarget,
    projectId: string,
    metric: string,
    from?: string,
    to?: string,
    version?: string,
  ): Promise<{ from: string; to: string } | null> {
    const [row] = await analyticsQuery<{ first: string | null; after_last: string | null }>(
      this.dataSource,
      statementsOf(target, version).bounds,
      withVersion([projectId, metric, from ?? null, to ?? null], version),
    );
    return row.first && row.after_last ? { from: row.first, to: row.after_last } : null;
  }

  trend(
    target: ScoreTarget,
    projectId: string,
    metric: string,
    w: BucketWindow,
    version?: string,
  ): Promise<TrendRow[]> {
    return analyticsQuery(
      this.dataSource,
      statementsOf(target, version).trend,
      withVersion([projectId, metric, w.granularity, w.from, w.to, w.tz], version),
    );
  }

  /** Counts per bucket number (absent buckets are empty) and the non-numeric count. */
  async distribution(
    target: ScoreTarget,
    projectId: string,
    metric: string,
    buckets: number,
    from?: string,
    to?: string,
    version?: string,
  ): Promise<{ counts: Map<number, number>; nonNumeric: number }> {
    const rows = await analyticsQuery<{ bucket: number | null; count: number }>(
      this.dataSource,
      statementsOf(target, version).distribution,
      withVersion([projectId, metric, from ?? null, to ?? null, buckets], version),
    );
    const counts = new Map<number, number>();
    let nonNumeric = 0;
    for (const r of rows) {
      if (r.bucket === null) nonNumeric = r.count;
      else counts.set(r.bucket, r.count);
    }
    return { counts, nonNumeric };
  }

  /** One session's scores over time (session scores only: a trace has no re-evaluations to chart). */
  sessionHistory(projectId: string, sessionId: string, metric: string | undefined, limit: number) {
    return analyticsQuery<SessionHistoryRow>(this.dataSource, SESSION_HISTORY, [
      projectId,
      sessionId,
      metric ?? null,
      limit,
    ]);
  }

  /** A page of the sessions ranked by their latest score of a metric, and how many sessions have one. */
  async sessionComparison(
    projectId: string,
    metric: string,
    order: 'asc' | 'desc',
    limit: number,
    offset: number,
  ): Promise<[SessionComparisonRow[], number]> {
    const rows = await analyticsQuery<SessionComparisonRow & { total: number }>(
      this.dataSource,
      COMPARISON_BY_ORDER[order],
      [projectId, metric, limit, offset],
    );
    if (rows.length > 0) return [rows.map(({ total: _total, ...row }) => row), rows[0].total];
    if (offset === 0) return [[], 0];
    const [count] = await analyticsQuery<{ total: number }>(this.dataSource, COMPARISON_TOTAL, [projectId, metric]);
    return [[], count.total];
  }
}
