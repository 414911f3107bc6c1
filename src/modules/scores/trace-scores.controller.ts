import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiPaginatedResponse } from '../../common/decorators';
import { Auth } from '../auth/decorators/auth.decorator';
import { CurrentProject } from '../auth/decorators/current-project.decorator';
import { ProjectContext } from '../auth/types/project-context';
import { TraceIdParams } from '../traces/dto/trace-params.dto';
import { CreateTraceScoreRequest } from './dto/create-trace-score.dto';
import { ListTraceScoresQuery } from './dto/list-trace-scores.query.dto';
import { ScoreIdParams } from './dto/score-params.dto';
import { TraceScoreResponse } from './dto/trace-score-response.dto';
import { UpdateTraceScoreRequest } from './dto/update-trace-score.dto';
import { TraceScoresService } from './trace-scores.service';

@ApiTags('scores')
@Auth()
@Controller('evaluations/trace-scores')
export class TraceScoresController {
  constructor(private readonly scores: TraceScoresService) {}

  @Post()
  @ApiOperation({ summary: 'Add a manual score (ANNOTATION or PROGRAMMATIC) to a trace of the project' })
  @ApiCreatedResponse({ type: TraceScoreResponse })
  create(@CurrentProject() ctx: ProjectContext, @Body() body: CreateTraceScoreRequest): Promise<TraceScoreResponse> {
    return this.scores.create(ctx, body);
  }

  @Get()
  @ApiOperation({ summary: "List the project's trace scores, newest first" })
  @ApiPaginatedResponse(TraceScoreResponse)
  list(@CurrentProject() ctx: ProjectContext, @Query() query: ListTraceScoresQuery) {
    return this.scores.list(ctx, query);
  }

  @Get(':trace_id')
  @ApiOperation({ summary: 'The latest score of each metric name for a trace, sorted by name' })
  @ApiOkResponse({ type: [TraceScoreResponse] })
  latestForTrace(@CurrentProject() ctx: ProjectContext, @Param() params: TraceIdParams): Promise<TraceScoreResponse[]> {
    return this.scores.latestForTrace(ctx, params.trace_id);
  }

  @Patch(':score_id')
  @ApiOperation({ summary: 'Edit a score by hand: it becomes a successful ANNOTATION' })
  @ApiOkResponse({ type: TraceScoreResponse })
  update(
    @CurrentProject() ctx: ProjectContext,
    @Param() params: ScoreIdParams,
    @Body() body: UpdateTraceScoreRequest,
  ): Promise<TraceScoreResponse> {
    return this.scores.update(ctx, params.score_id, body);
  }

  @Delete(':score_id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a score' })
  @ApiNoContentResponse()
  delete(@CurrentProject() ctx: ProjectContext, @Param() params: ScoreIdParams): Promise<void> {
    return this.scores.delete(ctx, params.score_id);
  }
}
