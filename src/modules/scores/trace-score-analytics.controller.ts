import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/decorators/auth.decorator';
import { CurrentProject } from '../auth/decorators/current-project.decorator';
import { ProjectContext } from '../auth/types/project-context';
import { ScoreSummaryQuery, TraceScoreSummaryResponse } from './dto/score-summary.dto';
import { TraceScoresService } from './trace-scores.service';

@ApiTags('scores')
@Auth()
@Controller('evaluations/analytics/trace-scores')
export class TraceScoreAnalyticsController {
  constructor(private readonly scores: TraceScoresService) {}

  @Get('summary')
  @ApiOperation({ summary: 'Per metric: average, min, max and median of successful NUMERIC scores, with counts' })
  @ApiOkResponse({ type: [TraceScoreSummaryResponse] })
  summary(
    @CurrentProject() ctx: ProjectContext,
    @Query() query: ScoreSummaryQuery,
  ): Promise<TraceScoreSummaryResponse[]> {
    return this.scores.summary(ctx, query);
  }
}
