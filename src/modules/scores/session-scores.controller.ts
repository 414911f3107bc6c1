import { Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiPaginatedResponse } from '../../common/decorators';
import { Auth } from '../auth/decorators/auth.decorator';
import { CurrentProject } from '../auth/decorators/current-project.decorator';
import { ProjectContext } from '../auth/types/project-context';
import { ListSessionScoresQuery } from './dto/list-session-scores.query.dto';
import { ScoreIdParams } from './dto/score-params.dto';
import { SessionIdParams } from './dto/session-score-analytics.dto';
import { SessionScoreResponse } from './dto/session-score-response.dto';
import { SessionScoresService } from './session-scores.service';

@ApiTags('scores')
@Auth()
@Controller('evaluations/session-scores')
export class SessionScoresController {
  constructor(private readonly scores: SessionScoresService) {}

  @Get()
  @ApiOperation({ summary: "List the project's session scores, newest first" })
  @ApiPaginatedResponse(SessionScoreResponse)
  list(@CurrentProject() ctx: ProjectContext, @Query() query: ListSessionScoresQuery) {
    return this.scores.list(ctx, query);
  }

  @Get(':session_id')
  @ApiOperation({
    summary: 'The latest score of each metric name for a session, sorted by name',
    description: 'Any status; an unknown session answers []. (The original lists every score of the session.)',
  })
  @ApiOkResponse({ type: [SessionScoreResponse] })
  latestForSession(
    @CurrentProject() ctx: ProjectContext,
    @Param() params: SessionIdParams,
  ): Promise<SessionScoreResponse[]> {
    return this.scores.latestForSession(ctx, params.session_id);
  }

  @Delete(':score_id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a session score' })
  @ApiNoContentResponse()
  delete(@CurrentProject() ctx: ProjectContext, @Param() params: ScoreIdParams): Promise<void> {
    return this.scores.delete(ctx, params.score_id);
  }
}
