import { Injectable } from '@nestjs/common';
import { Paginated } from '../../common/dto/pagination.dto';
import { ProjectContext } from '../auth/types/project-context';
import { checkWindow, DEFAULT_TIME_ZONE } from '../analytics/time-buckets';
import {
  ScoreDistributionItem,
  ScoreDistributionQuery,
  ScoreTrendItem,
  ScoreTrendQuery,
} from './dto/score-analytics.dto';
import { ScoreSummaryQuery, ScoreSummaryItem } from './dto/score-summary.dto';
import {
  SessionComparisonItem,
  SessionScoreComparisonQuery,
  SessionScoreHistoryItem,
  SessionScoreHistoryQuery,
} from './dto/session-score-analytics.dto';
import { ScoreAnalyticsRepository, ScoreTarget } from './score-analytics.repository';

const DEFAULT_HISTOGRAM_BUCKETS = 10;
const FIELDS = { from: 'date_from', to: 'date_to' };

/**
 * GET /evaluations/analytics/{trace,session}-scores/{summary,trend,distribution}: one implementation,
 * two tables; and the session-only history and comparison.
 */
@Injectable()
export class ScoreAnalyticsService {
  constructor(private readonly repo: ScoreAnalyticsRepository) {}

  async summary(target: ScoreTarget, ctx: ProjectContext, q: ScoreSummaryQuery): Promise<ScoreSummaryItem[]> {
    const rows = await this.repo.summary(target, ctx.projectId, q.date_from, q.date_to);
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
  async trend(target: ScoreTarget, ctx: ProjectContext, q: ScoreTrendQuery): Promise<ScoreTrendItem[]> {
    const granularity = q.granularity ?? 'day';
    const tz = q.tz ?? DEFAULT_TIME_ZONE;
    let from = q.date_from;
    let to = q.date_to;
    if (from !== undefined && to !== undefined) {
      checkWindow({ granularity, from, to, tz }, FIELDS);
    } else {
      const seen = await this.repo.bounds(target, ctx.projectId, q.metric_name, from, to, q.metric_version);
      if (!seen) return [];
      from ??= seen.from;
      to ??= seen.to;
      checkWindow({ granularity, from, to, tz }, FIELDS);
    }
    const window = { granularity, from, to, tz };
    const rows = await this.repo.trend(target, ctx.projectId, q.metric_name, window, q.metric_version);
    return rows.map((r) => ({ bucket: r.bucket, metric_name: q.metric_name, avg_score: r.avg, count: r.count }));
  }

  async distribution(
    target: ScoreTarget,
    ctx: ProjectContext,
    q: ScoreDistributionQuery,
  ): Promise<ScoreDistributionItem[]> {
    if (q.date_from !== undefined && q.date_to !== undefined) {
      // Not bucketed in time: only the order of the bounds is checked.
      checkWindow({ granularity: 'week', from: q.date_from, to: q.date_to, tz: DEFAULT_TIME_ZONE }, FIELDS);
    }
    const n = q.buckets ?? DEFAULT_HISTOGRAM_BUCKETS;
    const { counts, nonNumeric } = await this.repo.distribution(
      target,
      ctx.projectId,
      q.metric_name,
      n,
      q.date_from,
      q.date_to,
      q.metric_version,
    );
    return Array.from({ length: n }, (_, i) => ({
      bucket: i + 1,
      bucket_min: i / n,
      bucket_max: (i + 1) / n,
      count: counts.get(i + 1) ?? 0,
      non_numeric_count: nonNumeric,
    }));
  }

  async history(
    ctx: ProjectContext,
    sessionId: string,
    q: SessionScoreHistoryQuery,
  ): Promise<SessionScoreHistoryItem[]> {
    const rows = await this.repo.sessionHistory(ctx.projectId, sessionId, q.metric_name, q.limit);
    return rows.map((r) => ({
      metric_name: r.name,
      score: r.score,
      eval_run_id: r.eval_run_id,
      created_at: r.created_at.toISOString(),
      status: r.status,
    }));
  }

  async comparison(ctx: ProjectContext, q: SessionScoreComparisonQuery): Promise<Paginated<SessionComparisonItem>> {
    const [items, total] = await this.repo.sessionComparison(
      ctx.projectId,
      q.metric_name,
      q.sort_order,
      q.limit,
      q.offset,
    );
    return {
      items: items.map((r) => ({ ...r, evaluated_at: r.evaluated_at.toISOString() })),
      total,
      limit: q.limit,
      offset: q.offset,
    };
  }
}
