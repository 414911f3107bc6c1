import { Get, Injectable, Query, Type } from '@nestjs/common';
import { CurrentProject } from '../auth/decorators/current-project.decorator';
import { ProjectContext } from '../auth/types/project-context';
import {
  ScoreDistributionItem,
  ScoreDistributionQuery,
  ScoreTrendItem,
  ScoreTrendQuery,
} from './dto/score-analytics.dto';
import { ScoreSummaryItem, ScoreSummaryQuery } from './dto/score-summary.dto';
import { ScoreTarget } from './score-analytics.repository';
import { ScoreAnalyticsService } from './score-analytics.service';
import { Answers } from '../../common/http/route.decorators';
import { RateLimit } from '../auth/decorators/auth.decorator';

export interface ScoreAnalyticsRoutes {
  summary(ctx: ProjectContext, query: ScoreSummaryQuery): Promise<ScoreSummaryItem[]>;
  trend(ctx: ProjectContext, query: ScoreTrendQuery): Promise<ScoreTrendItem[]>;
  distribution(ctx: ProjectContext, query: ScoreDistributionQuery): Promise<ScoreDistributionItem[]>;
}

/**
 * summary, trend and distribution of one score table, for a controller to extend (it adds
 * `@Controller`, `@Auth` and any routes of its own): the trace and session charts are one code path.
 */
export function scoreAnalyticsRoutes(target: ScoreTarget): Type<ScoreAnalyticsRoutes> {
  // A controller's class-level x-rate-limit reaches only the methods it declares itself, not these:
  // they name their limit here (the controllers' own, `default`; route-auth.spec checks they agree).
  @Injectable()
  @RateLimit('default')
  abstract class Routes implements ScoreAnalyticsRoutes {
    constructor(protected readonly analytics: ScoreAnalyticsService) {}

    @Get('summary')
    @Answers.ok([ScoreSummaryItem], {
      summary: `Per metric: average, min, max and median of successful NUMERIC ${target} scores, with counts`,
    })
    summary(@CurrentProject() ctx: ProjectContext, @Query() query: ScoreSummaryQuery): Promise<ScoreSummaryItem[]> {
      return this.analytics.summary(target, ctx, query);
    }

    @Get('trend')
    @Answers.ok([ScoreTrendItem], {
      summary: `Average ${target} score of a metric per time bucket (by created_at), every bucket of the window`,
      description: 'Numeric scores only (successful, a number in [0, 1]). More than 10,000 buckets is a 422.',
    })
    trend(@CurrentProject() ctx: ProjectContext, @Query() query: ScoreTrendQuery): Promise<ScoreTrendItem[]> {
      return this.analytics.trend(target, ctx, query);
    }

    @Get('distribution')
    @Answers.ok([ScoreDistributionItem], {
      summary: `Histogram of a metric’s numeric ${target} scores over [0, 1] in equal buckets (1.0 in the last)`,
      description: 'Every bucket is listed; non-numeric successful scores are counted in non_numeric_count.',
    })
    distribution(
      @CurrentProject() ctx: ProjectContext,
      @Query() query: ScoreDistributionQuery,
    ): Promise<ScoreDistributionItem[]> {
      return this.analytics.distribution(target, ctx, query);
    }
  }
  return Routes as unknown as Type<ScoreAnalyticsRoutes>;
}
