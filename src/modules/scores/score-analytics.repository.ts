import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { analyticsQuery } from '../analytics/analytics-query';
import { BucketWindow } from '../analytics/time-buckets';
import { SCORE_DISTRIBUTION, SCORE_SUMMARY, SCORE_TREND } from './score-rollup-sql';

/**
 * Every statement reads values as `value_number`, the stored `score_number(value)` (migration
 * 1764000003000): NULL for a value that is not a number in [0, 1], which is counted apart and never
 * cast, so no stored row can break a chart. Summary, trend and distribution read the score rollups
 * (score-rollup-sql.ts); `ix_trace_scores_analytics` covers their live parts and the bounds.
 */

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

const ISO = (x: string) => `to_char((${x}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Optional created_at window on placeholders `$a` (inclusive) and `$b` (exclusive). */
const CREATED_IN = (a: string, b: string) =>
  `(${a}::timestamptz IS NULL OR s.created_at >= ${a}::timestamptz) AND (${b}::timestamptz IS NULL OR s.created_at < ${b}::timestamptz)`;

/** The scores a trend or histogram of metric $2 counts as numbers. */
const NUMERIC_OF_METRIC = `s.project_id = $1::uuid AND s.name = $2::text AND s.status = 'SUCCESS' AND s.data_type = 'NUMERIC'`;

const BOUNDS = `
  SELECT ${ISO('min(s.created_at)')} AS first, ${ISO(`date_trunc('milliseconds', max(s.created_at)) + interval '1 millisecond'`)} AS after_last
  FROM trace_scores s WHERE ${NUMERIC_OF_METRIC} AND ${CREATED_IN('$3', '$4')}`;

/** Score analytics: summary, trend and distribution, each one statement scoped by project. */
@Injectable()
export class ScoreAnalyticsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async summary(projectId: string, from?: string, before?: string): Promise<ScoreSummaryRow[]> {
    const rows = await analyticsQuery<Record<string, unknown>>(this.dataSource, SCORE_SUMMARY, [
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
    projectId: string,
    metric: string,
    from?: string,
    to?: string,
  ): Promise<{ from: string; to: string } | null> {
    const [row] = await analyticsQuery<{ first: string | null; after_last: string | null }>(this.dataSource, BOUNDS, [
      projectId,
      metric,
      from ?? null,
      to ?? null,
    ]);
    return row.first && row.after_last ? { from: row.first, to: row.after_last } : null;
  }

  trend(projectId: string, metric: string, w: BucketWindow): Promise<TrendRow[]> {
    return analyticsQuery(this.dataSource, SCORE_TREND, [projectId, metric, w.granularity, w.from, w.to, w.tz]);
  }

  /** Counts per bucket number (absent buckets are empty) and the non-numeric count. */
  async distribution(
    projectId: string,
    metric: string,
    buckets: number,
    from?: string,
    to?: string,
  ): Promise<{ counts: Map<number, number>; nonNumeric: number }> {
    const rows = await analyticsQuery<{ bucket: number | null; count: number }>(this.dataSource, SCORE_DISTRIBUTION, [
      projectId,
      metric,
      from ?? null,
      to ?? null,
      buckets,
    ]);
    const counts = new Map<number, number>();
    let nonNumeric = 0;
    for (const r of rows) {
      if (r.bucket === null) nonNumeric = r.count;
      else counts.set(r.bucket, r.count);
    }
    return { counts, nonNumeric };
  }
}
