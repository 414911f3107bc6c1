import { Injectable } from '@nestjs/common';
import { ProjectContext } from '../auth/types/project-context';
import { checkWindow, DEFAULT_TIME_ZONE } from '../analytics/time-buckets';
import {
  ScoreDistributionItem,
  ScoreDistributionQuery,
  ScoreTrendItem,
  ScoreTrendQuery,
} from './dto/score-analytics.dto';
import { ScoreSummaryQuery, TraceScoreSummaryResponse } from './dto/score-summary.dto';
import { ScoreAnalyticsRepository } from './score-analytics.repository';

const DEFAULT_HISTOGRAM_BUCKETS = 10;
const FIELDS = { from: 'date_from', to: 'date_to' };

/** GET /evaluations/analytics/trace-scores/{summary,trend,distribution}. */
@Injectable()
export class ScoreAnalyticsService {
  constructor(private readonly repo: ScoreAnalyticsRepository) {}

  async summary(ctx: ProjectContext, q: ScoreSummaryQuery): Promise<TraceScoreSummaryResponse[]> {
    const rows = await this.repo.summary(ctx.projectId, q.date_from, q.date_to);
    return rows.map((r) => ({
      metric_name: r.name,
      avg_score: r.avg,
      min_score: r.min,
      max_score: r.max,
      median_score: r.median,
      success_count: r.succeeded,
      failed_count: r.failed,
      latest_score_at: r.latest.toISOString(),
      non_numeric_count: r.nonNumeric,
    }));
  }

  /**
   * Every bucket of the window, empty ones with count 0. A missing date_from / date_to is taken
   * from the metric's first / last score; a metric without scores there answers [].
   */
  async trend(ctx: ProjectContext, q: ScoreTrendQuery): Promise<ScoreTrendItem[]> {
    const granularity = q.granularity ?? 'day';
    const tz = q.tz ?? DEFAULT_TIME_ZONE;
    let from = q.date_from;
    let to = q.date_to;
    if (from !== undefined && to !== undefined) {
      checkWindow({ granularity, from, to, tz }, FIELDS);
    } else {
      const seen = await this.repo.bounds(ctx.projectId, q.metric_name, from, to);
      if (!seen) return [];
      from ??= seen.from;
      to ??= seen.to;
      checkWindow({ granularity, from, to, tz }, FIELDS);
    }
    const rows = await this.repo.trend(ctx.projectId, q.metric_name, { granularity, from, to, tz });
    return rows.map((r) => ({ bucket: r.bucket, metric_name: q.metric_name, avg_score: r.avg, count: r.count }));
  }

  async distribution(ctx: ProjectContext, q: ScoreDistributionQuery): Promise<ScoreDistributionItem[]> {
    if (q.date_from !== undefined && q.date_to !== undefined) {
      // Not bucketed in time: only the order of the bounds is checked.
      checkWindow({ granularity: 'week', from: q.date_from, to: q.date_to, tz: DEFAULT_TIME_ZONE }, FIELDS);
    }
    const n = q.buckets ?? DEFAULT_HISTOGRAM_BUCKETS;
    const { counts, nonNumeric } = await this.repo.distribution(
      ctx.projectId,
      q.metric_name,
      n,
      q.date_from,
      q.date_to,
    );
    return Array.from({ length: n }, (_, i) => ({
      bucket: i + 1,
      bucket_min: i / n,
      bucket_max: (i + 1) / n,
      count: counts.get(i + 1) ?? 0,
      non_numeric_count: nonNumeric,
    }));
  }
}
