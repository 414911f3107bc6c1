import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/decorators/auth.decorator';
import { CurrentProject } from '../auth/decorators/current-project.decorator';
import { ProjectContext } from '../auth/types/project-context';
import {
  ScoreDistributionItem,
  ScoreDistributionQuery,
  ScoreTrendItem,
  ScoreTrendQuery,
} from './dto/score-analytics.dto';
import { ScoreSummaryQuery, TraceScoreSummaryResponse } from './dto/score-summary.dto';
import { ScoreAnalyticsService } from './score-analytics.service';

@ApiTags('scores')
@Auth()
@Controller('evaluations/analytics/trace-scores')
export class TraceScoreAnalyticsController {
  constructor(private readonly analytics: ScoreAnalyticsService) {}

  @Get('summary')
  @ApiOperation({ summary: 'Per metric: average, min, max and median of successful NUMERIC scores, with counts' })
  @ApiOkResponse({ type: [TraceScoreSummaryResponse] })
  summary(
    @CurrentProject() ctx: ProjectContext,
    @Query() query: ScoreSummaryQuery,
  ): Promise<TraceScoreSummaryResponse[]> {
    return this.analytics.summary(ctx, query);
  }

  @Get('trend')
  @ApiOperation({
    summary: 'Average score of a metric per time bucket (by created_at), every bucket of the window',
    description: 'Numeric scores only (successful, a number in [0, 1]). More than 10,000 buckets is a 422.',
  })
  @ApiOkResponse({ type: [ScoreTrendItem] })
  trend(@CurrentProject() ctx: ProjectContext, @Query() query: ScoreTrendQuery): Promise<ScoreTrendItem[]> {
    return this.analytics.trend(ctx, query);
  }

  @Get('distribution')
  @ApiOperation({
    summary: 'Histogram of a metric’s numeric scores over [0, 1] in equal buckets (1.0 in the last)',
    description: 'Every bucket is listed; non-numeric successful scores are counted in non_numeric_count.',
  })
  @ApiOkResponse({ type: [ScoreDistributionItem] })
  distribution(
    @CurrentProject() ctx: ProjectContext,
    @Query() query: ScoreDistributionQuery,
  ): Promise<ScoreDistributionItem[]> {
    return this.analytics.distribution(ctx, query);
  }
}
