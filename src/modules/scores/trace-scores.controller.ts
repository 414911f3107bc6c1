import { Body, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { CurrentProject } from '../auth/decorators/current-project.decorator';
import { ProjectController } from '../auth/decorators/controller.decorator';
import { ProjectContext } from '../auth/types/project-context';
import { TraceIdParams } from '../traces/dto/trace-params.dto';
import { CreateTraceScoreRequest } from './dto/create-trace-score.dto';
import { ListTraceScoresQuery } from './dto/list-trace-scores.query.dto';
import { ScoreIdParams } from './dto/score-params.dto';
import { TraceScoreResponse } from './dto/trace-score-response.dto';
import { UpdateTraceScoreRequest } from './dto/update-trace-score.dto';
import { TraceScoresService } from './trace-scores.service';
import { Answers } from '../../common/http/route.decorators';

@ProjectController('scores', 'evaluations/trace-scores')
export class TraceScoresController {
  constructor(private readonly scores: TraceScoresService) {}

  @Post()
  @Answers.created(TraceScoreResponse, 'Add a manual score (ANNOTATION or PROGRAMMATIC) to a trace of the project')
  create(@CurrentProject() ctx: ProjectContext, @Body() body: CreateTraceScoreRequest): Promise<TraceScoreResponse> {
    return this.scores.create(ctx, body);
  }

  @Get()
  @Answers.page(TraceScoreResponse, "List the project's trace scores, newest first")
  list(@CurrentProject() ctx: ProjectContext, @Query() query: ListTraceScoresQuery) {
    return this.scores.list(ctx, query);
  }

  @Get(':trace_id')
  @Answers.ok([TraceScoreResponse], 'The latest score of each metric name for a trace, sorted by name')
  latestForTrace(@CurrentProject() ctx: ProjectContext, @Param() params: TraceIdParams): Promise<TraceScoreResponse[]> {
    return this.scores.latestForTrace(ctx, params.trace_id);
  }

  @Patch(':score_id')
  @Answers.ok(TraceScoreResponse, 'Edit a score by hand: it becomes a successful ANNOTATION')
  update(
    @CurrentProject() ctx: ProjectContext,
    @Param() params: ScoreIdParams,
    @Body() body: UpdateTraceScoreRequest,
  ): Promise<TraceScoreResponse> {
    return this.scores.update(ctx, params.score_id, body);
  }

  @Delete(':score_id')
  @Answers.noContent('Delete a score')
  delete(@CurrentProject() ctx: ProjectContext, @Param() params: ScoreIdParams): Promise<void> {
    return this.scores.delete(ctx, params.score_id);
  }
}
