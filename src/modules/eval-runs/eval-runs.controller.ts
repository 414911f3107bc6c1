import { Body, Controller, Delete, Get, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { streamJsonArray } from '../../common/stream-json-array';
import { Paginated } from '../../common/dto/pagination.dto';
import { Auth } from '../auth/decorators/auth.decorator';
import { CurrentProject } from '../auth/decorators/current-project.decorator';
import type { ProjectContext } from '../auth/types/project-context';
import { TraceScoreResponse } from '../scores/dto/trace-score-response.dto';
import { CreateBatchEvalRunDto } from './dto/create-batch-eval-run.dto';
import { CreateEvalRunDto } from './dto/create-eval-run.dto';
import {
  DeleteEvalRunQueryDto,
  EvalRunIdParams,
  ListEvalRunsQueryDto,
  RunScoresQueryDto,
  TemplateQueryDto,
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
import { EvalRunTemplateResponse } from './dto/eval-run-template.dto';
import { EvalRunsService } from './eval-runs.service';

@ApiTags('evaluations')
@Controller('evaluations/trace-runs')
export class EvalRunsController {
  constructor(private readonly runs: EvalRunsService) {}

  @Post()
  @RunCreationRoute({
    summary: 'Create a filtered, sampled eval run',
    description:
      'Selects the matching traces and a deterministic sample of them inside PostgreSQL, freezes the run and its ledger, ' +
      'and hands the work to the workers. 422 for unknown metrics, bad filters, an unusable model, sampling_rate 0 or no matching traces.',
  })
  create(@CurrentProject() ctx: ProjectContext, @Body() dto: CreateEvalRunDto): Promise<EvalRunResponse> {
    return this.runs.createFiltered(ctx.projectId, dto);
  }

  @Post('batch')
  @RunCreationRoute({
    summary: 'Create an eval run over explicit trace ids',
    description: 'Every id must be a trace of this project (422 names the others).',
  })
  createBatch(@CurrentProject() ctx: ProjectContext, @Body() dto: CreateBatchEvalRunDto): Promise<EvalRunResponse> {
    return this.runs.createBatch(ctx.projectId, dto);
  }

  @Get()
  @RunListRoute('List trace eval runs, newest first')
  list(@CurrentProject() ctx: ProjectContext, @Query() q: ListEvalRunsQueryDto): Promise<Paginated<EvalRunResponse>> {
    return this.runs.list(ctx.projectId, q);
  }

  // Declared before the `:run_id` routes so that "template" is never taken for a run id.
  @Get('template')
  @Auth()
  @ApiOperation({ summary: "A run template for one metric, with each stage's rendered prompt" })
  @ApiOkResponse({ type: EvalRunTemplateResponse })
  template(@CurrentProject() ctx: ProjectContext, @Query() q: TemplateQueryDto): Promise<EvalRunTemplateResponse> {
    return this.runs.template(ctx.projectId, q.metric);
  }

  @Get(':run_id')
  @RunGetRoute('Get a trace eval run (status and counters)')
  get(@CurrentProject() ctx: ProjectContext, @Param() p: EvalRunIdParams): Promise<EvalRunResponse> {
    return this.runs.get(ctx.projectId, p.run_id);
  }

  @Delete(':run_id')
  @RunDeleteRoute({
    summary: 'Delete a trace eval run',
    description: 'Its scores are kept and unlinked unless delete_scores=true.',
  })
  async delete(
    @CurrentProject() ctx: ProjectContext,
    @Param() p: EvalRunIdParams,
    @Query() q: DeleteEvalRunQueryDto,
  ): Promise<void> {
    await this.runs.delete(ctx.projectId, p.run_id, q.delete_scores ?? false);
  }

  @Post(':run_id/retry')
  @RunRetryRoute(
    {
      summary: 'Retry the unfinished work of a finished run',
      description:
        'Creates a new run named "Retry: <name or id>" with the original model over the failed (trace, metric) pairs and, ' +
        'for a CANCELLED run or one stopped by its budget, the pairs never evaluated. 422 when there is nothing to retry; ' +
        '409 while the run is unfinished, or while an earlier retry of it is still PENDING or RUNNING (the message names it).',
    },
    'The run is still PENDING or RUNNING, or a retry of it is in flight.',
  )
  retry(@CurrentProject() ctx: ProjectContext, @Param() p: EvalRunIdParams): Promise<EvalRunResponse> {
    return this.runs.retry(ctx.projectId, p.run_id);
  }

  @Post(':run_id/cancel')
  @RunCancelRoute({
    summary: 'Cancel a PENDING or RUNNING trace eval run',
    description:
      'The run becomes CANCELLED at once; workers start no judge call for it afterwards and the scores already written ' +
      'are kept. Cancelling a CANCELLED run again is a no-op (202); a COMPLETED or FAILED run gives 409. ' +
      'A cancelled run can be retried.',
  })
  cancel(@CurrentProject() ctx: ProjectContext, @Param() p: EvalRunIdParams): Promise<EvalRunResponse> {
    return this.runs.cancel(ctx.projectId, p.run_id);
  }

  @Get(':run_id/scores')
  @RunScoresRoute(
    "A run's scores, newest first (a bare array, streamed; limit/offset select a window)",
    TraceScoreResponse,
  )
  async scores(
    @CurrentProject() ctx: ProjectContext,
    @Param() p: EvalRunIdParams,
    @Query() q: RunScoresQueryDto,
    @Res() res: Response,
  ): Promise<void> {
    await streamJsonArray(res, await this.runs.scorePages(ctx.projectId, p.run_id, q));
  }
}
