import { Body, Controller, Delete, Get, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiTags } from '@nestjs/swagger';
import { Paginated } from '../../common/dto/pagination.dto';
import { streamJsonArray } from '../../common/stream-json-array';
import { CurrentProject } from '../auth/decorators/current-project.decorator';
import type { ProjectContext } from '../auth/types/project-context';
import { SessionScoreResponse } from '../scores/dto/session-score-response.dto';
import { CreateBatchSessionRunDto, CreateSessionRunDto } from './dto/create-session-run.dto';
import {
  DeleteEvalRunQueryDto,
  EvalRunIdParams,
  ListEvalRunsQueryDto,
  RunScoresQueryDto,
} from './dto/eval-run-queries.dto';
import { EvalRunResponse } from './dto/eval-run-response.dto';
import {
  RunCancelRoute,
  RunCreationRoute,
  RunDeleteRoute,
  RunGetRoute,
  RunListRoute,
  RunRetryRoute,
  RunScoresRoute,
} from './run-routes.decorators';
import { EvalRunsService } from './eval-runs.service';
import { SessionRunsService } from './session-runs.service';

/** Session runs: eval runs with target_type SESSION on the same pipeline (docs/sessions.md). */
@ApiTags('evaluations')
@Controller('evaluations/session-runs')
export class SessionRunsController {
  constructor(
    private readonly sessions: SessionRunsService,
    private readonly runs: EvalRunsService,
  ) {}

  @Post()
  @RunCreationRoute(
    {
      summary: 'Create a filtered, sampled session eval run',
      description:
        'Selects the sessions of the matching traces (has_error and min_trace_count apply per session) and a deterministic ' +
        'sample of them inside PostgreSQL, freezes the run and hands it to the workers, which compute the per-trace signals ' +
        '(reusing earlier SUCCESS scores) and aggregate them into session scores. 422 for unknown metrics, bad filters or ' +
        'weights, an unusable model, sampling_rate 0, or "No sessions match the provided filters."',
    },
    'The new run, PENDING, target_type SESSION.',
  )
  create(@CurrentProject() ctx: ProjectContext, @Body() dto: CreateSessionRunDto): Promise<EvalRunResponse> {
    return this.sessions.createFiltered(ctx.projectId, dto);
  }

  @Post('batch')
  @RunCreationRoute({
    summary: 'Create a session eval run over explicit session ids',
    description: 'Every session must have a trace in this project (422 names the others).',
  })
  createBatch(@CurrentProject() ctx: ProjectContext, @Body() dto: CreateBatchSessionRunDto): Promise<EvalRunResponse> {
    return this.sessions.createBatch(ctx.projectId, dto);
  }

  @Get()
  @RunListRoute('List session eval runs, newest first')
  list(@CurrentProject() ctx: ProjectContext, @Query() q: ListEvalRunsQueryDto): Promise<Paginated<EvalRunResponse>> {
    return this.runs.list(ctx.projectId, q, 'SESSION');
  }

  @Get(':run_id')
  @RunGetRoute('Get a session eval run (status and counters)')
  get(@CurrentProject() ctx: ProjectContext, @Param() p: EvalRunIdParams): Promise<EvalRunResponse> {
    return this.runs.get(ctx.projectId, p.run_id, 'SESSION');
  }

  @Delete(':run_id')
  @RunDeleteRoute({
    summary: 'Delete a session eval run',
    description: 'Its session scores and signals are kept and unlinked unless delete_scores=true, which deletes both.',
  })
  async delete(
    @CurrentProject() ctx: ProjectContext,
    @Param() p: EvalRunIdParams,
    @Query() q: DeleteEvalRunQueryDto,
  ): Promise<void> {
    await this.runs.delete(ctx.projectId, p.run_id, q.delete_scores ?? false, 'SESSION');
  }

  @Post(':run_id/retry')
  @RunRetryRoute(
    {
      summary: 'Retry exactly the failed (session, metric) pairs of a finished session run',
      description:
        'A new run "Retry: <name or id>" with the original model and signal weights over the failed pairs and, for a ' +
        'CANCELLED or budget-stopped run, the pairs never evaluated. 422 when there is nothing to retry; 409 while the ' +
        'run is unfinished or a retry of it is in flight.',
    },
    'The run is unfinished, or a retry of it is in flight.',
  )
  retry(@CurrentProject() ctx: ProjectContext, @Param() p: EvalRunIdParams): Promise<EvalRunResponse> {
    return this.sessions.retry(ctx.projectId, p.run_id);
  }

  @Post(':run_id/cancel')
  @RunCancelRoute({
    summary: 'Cancel a PENDING or RUNNING session eval run',
    description:
      'As for trace runs: CANCELLED at once, finished scores kept; again is a no-op; COMPLETED or FAILED is 409.',
  })
  cancel(@CurrentProject() ctx: ProjectContext, @Param() p: EvalRunIdParams): Promise<EvalRunResponse> {
    return this.runs.cancel(ctx.projectId, p.run_id, 'SESSION');
  }

  @Get(':run_id/scores')
  @RunScoresRoute(
    "A session run's session scores, newest first (a bare array, streamed; limit/offset select a window)",
    SessionScoreResponse,
  )
  async scores(
    @CurrentProject() ctx: ProjectContext,
    @Param() p: EvalRunIdParams,
    @Query() q: RunScoresQueryDto,
    @Res() res: Response,
  ): Promise<void> {
    await streamJsonArray(res, await this.sessions.scorePages(ctx.projectId, p.run_id, q));
  }
}
