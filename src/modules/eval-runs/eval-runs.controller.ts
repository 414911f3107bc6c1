import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/decorators/auth.decorator';
import { ProjectId } from '../auth/decorators/current-project.decorator';
import { TraceScoreResponse } from '../scores/dto/trace-score-response.dto';
import { CreateBatchEvalRunDto } from './dto/create-batch-eval-run.dto';
import { CreateEvalRunDto } from './dto/create-eval-run.dto';
import { TemplateQueryDto } from './dto/eval-run-queries.dto';
import { EvalRunTemplateResponse } from './dto/eval-run-template.dto';
import { EvalRunsService } from './eval-runs.service';
import { RunRoutes } from './run-routes.base';
import { Answers } from '../../common/http/route.decorators';

/** Trace runs: the run routes with target TRACE, and the metric template. */
@ApiTags('evaluations')
@Controller('evaluations/trace-runs')
export class EvalRunsController extends RunRoutes('TRACE', {
  create: {
    text: {
      summary: 'Create a filtered, sampled eval run',
      description:
        'Selects the matching traces and a deterministic sample of them inside PostgreSQL, freezes the run and its ledger, ' +
        'and hands the work to the workers. 422 for unknown metrics, bad filters, an unusable model, sampling_rate 0 or no matching traces.',
    },
    body: CreateEvalRunDto,
  },
  batch: {
    text: {
      summary: 'Create an eval run over explicit trace ids',
      description: 'Every id must be a trace of this project (422 names the others).',
    },
    body: CreateBatchEvalRunDto,
  },
  list: 'List trace eval runs, newest first',
  get: 'Get a trace eval run (status and counters)',
  delete: {
    summary: 'Delete a trace eval run',
    description: 'Its scores are kept and unlinked unless delete_scores=true.',
  },
  retry: {
    summary: 'Retry the unfinished work of a finished run',
    description:
      'Creates a new run named "Retry: <name or id>" with the original model over the failed (trace, metric) pairs and, ' +
      'for a CANCELLED run or one stopped by its budget, the pairs never evaluated. 422 when there is nothing to retry; ' +
      '409 while the run is unfinished, or while an earlier retry of it is still PENDING or RUNNING (the message names it).',
  },
  retryConflict: 'The run is still PENDING or RUNNING, or a retry of it is in flight.',
  cancel: {
    summary: 'Cancel a PENDING or RUNNING trace eval run',
    description:
      'The run becomes CANCELLED at once; workers start no judge call for it afterwards and the scores already written ' +
      'are kept. Cancelling a CANCELLED run again is a no-op (202); a COMPLETED or FAILED run gives 409. ' +
      'A cancelled run can be retried.',
  },
  scores: "A run's scores, newest first (a bare array, streamed; limit/offset select a window)",
  score: TraceScoreResponse,
}) {
  constructor(runs: EvalRunsService) {
    super(runs);
  }

  // Declared in the subclass, so routed before the inherited `:run_id` routes: "template" is never
  // taken for a run id.
  @Get('template')
  @Auth()
  @Answers.ok(EvalRunTemplateResponse, "A run template for one metric, with each stage's rendered prompt")
  template(@ProjectId() projectId: string, @Query() q: TemplateQueryDto): Promise<EvalRunTemplateResponse> {
    return this.runs.template(projectId, q.metric);
  }
}
