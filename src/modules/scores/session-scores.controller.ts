import { Delete, Get, Param, Query } from '@nestjs/common';
import { CurrentProject } from '../auth/decorators/current-project.decorator';
import { ProjectController } from '../auth/decorators/controller.decorator';
import { ProjectContext } from '../auth/types/project-context';
import { ListSessionScoresQuery } from './dto/list-session-scores.query.dto';
import { ScoreIdParams } from './dto/score-params.dto';
import { SessionIdParams } from './dto/session-score-analytics.dto';
import { SessionScoreResponse } from './dto/session-score-response.dto';
import { SessionScoresService } from './session-scores.service';
import { Answers } from '../../common/http/route.decorators';

@ProjectController('scores', 'evaluations/session-scores')
export class SessionScoresController {
  constructor(private readonly scores: SessionScoresService) {}

  @Get()
  @Answers.page(SessionScoreResponse, "List the project's session scores, newest first")
  list(@CurrentProject() ctx: ProjectContext, @Query() query: ListSessionScoresQuery) {
    return this.scores.list(ctx, query);
  }

  @Get(':session_id')
  @Answers.ok([SessionScoreResponse], {
    summary: 'The latest score of each metric name for a session, sorted by name',
    description: 'Any status; an unknown session answers []. (The original lists every score of the session.)',
  })
  latestForSession(
    @CurrentProject() ctx: ProjectContext,
    @Param() params: SessionIdParams,
  ): Promise<SessionScoreResponse[]> {
    return this.scores.latestForSession(ctx, params.session_id);
  }

  @Delete(':score_id')
  @Answers.noContent('Delete a session score')
  delete(@CurrentProject() ctx: ProjectContext, @Param() params: ScoreIdParams): Promise<void> {
    return this.scores.delete(ctx, params.score_id);
  }
}
