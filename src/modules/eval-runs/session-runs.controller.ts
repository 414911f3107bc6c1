import { Controller } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { SessionScoreResponse } from '../scores/dto/session-score-response.dto';
import { CreateBatchSessionRunDto, CreateSessionRunDto } from './dto/create-session-run.dto';
import { EvalRunsService } from './eval-runs.service';
import { RunRoutes } from './run-routes.base';

/** Session runs: eval runs with target_type SESSION on the same routes and pipeline (docs/sessions.md). */
@ApiTags('evaluations')
@Controller('evaluations/session-runs')
export class SessionRunsController extends RunRoutes('SESSION', {
  create: {
    text: {
      summary: 'Create a filtered, sampled session eval run',
      description:
        'Selects the sessions of the matching traces (has_error and min_trace_count apply per session) and a deterministic ' +
        'sample of them inside PostgreSQL, freezes the run and hands it to the workers, which compute the per-trace signals ' +
        '(reusing earlier SUCCESS scores) and aggregate them into session scores. 422 for unknown metrics, bad filters or ' +
        'weights, an unusable model, sampling_rate 0, or "No sessions match the provided filters."',
    },
    created: 'The new run, PENDING, target_type SESSION.',
    body: CreateSessionRunDto,
  },
  batch: {
    text: {
      summary: 'Create a session eval run over explicit session ids',
      description: 'Every session must have a trace in this project (422 names the others).',
    },
    body: CreateBatchSessionRunDto,
  },
  list: 'List session eval runs, newest first',
  get: 'Get a session eval run (status and counters)',
  delete: {
    summary: 'Delete a session eval run',
    description: 'Its session scores and signals are kept and unlinked unless delete_scores=true, which deletes both.',
  },
  retry: {
    summary: 'Retry exactly the failed (session, metric) pairs of a finished session run',
    description:
      'A new run "Retry: <name or id>" with the original model and signal weights over the failed pairs and, for a ' +
      'CANCELLED or budget-stopped run, the pairs never evaluated. 422 when there is nothing to retry; 409 while the ' +
      'run is unfinished or a retry of it is in flight.',
  },
  retryConflict: 'The run is unfinished, or a retry of it is in flight.',
  cancel: {
    summary: 'Cancel a PENDING or RUNNING session eval run',
    description:
      'As for trace runs: CANCELLED at once, finished scores kept; again is a no-op; COMPLETED or FAILED is 409.',
  },
  scores: "A session run's session scores, newest first (a bare array, streamed; limit/offset select a window)",
  score: SessionScoreResponse,
}) {
  constructor(runs: EvalRunsService) {
    super(runs);
  }
}
