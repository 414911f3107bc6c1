import { Get, Param, Query } from '@nestjs/common';
import { Paginated } from '../../common/dto/pagination.dto';
import { Answers } from '../../common/http/route.decorators';
import { CurrentProject } from '../auth/decorators/current-project.decorator';
import { ProjectController } from '../auth/decorators/controller.decorator';
import { ProjectContext } from '../auth/types/project-context';
import {
  SessionComparisonItem,
  SessionIdParams,
  SessionScoreComparisonQuery,
  SessionScoreHistoryItem,
  SessionScoreHistoryQuery,
} from './dto/session-score-analytics.dto';
import { ScoreAnalyticsService } from './score-analytics.service';
import { scoreAnalyticsRoutes } from './score-analytics.routes';

/** summary, trend and distribution as for trace scores, plus a session's history and the sessions' ranking. */
@ProjectController('scores', 'evaluations/analytics/session-scores')
export class SessionScoreAnalyticsController extends scoreAnalyticsRoutes('session') {
  constructor(private readonly sessions: ScoreAnalyticsService) {
    super(sessions);
  }

  @Get('history/:session_id')
  @Answers.ok([SessionScoreHistoryItem], {
    summary: 'A session’s scores over time: one point per score, oldest first',
    description: 'Every status (score is null unless a successful number in [0, 1]); `limit` keeps the newest points.',
  })
  history(
    @CurrentProject() ctx: ProjectContext,
    @Param() params: SessionIdParams,
    @Query() query: SessionScoreHistoryQuery,
  ): Promise<SessionScoreHistoryItem[]> {
    return this.sessions.history(ctx, params.session_id, query);
  }

  @Get('comparison')
  @Answers.page(SessionComparisonItem, {
    summary: 'Sessions ranked by their latest score of a metric (asc: worst first)',
    description: 'A session whose latest score has no number (failed, non-numeric) comes last in either order.',
  })
  comparison(
    @CurrentProject() ctx: ProjectContext,
    @Query() query: SessionScoreComparisonQuery,
  ): Promise<Paginated<SessionComparisonItem>> {
    return this.sessions.comparison(ctx, query);
  }
}
