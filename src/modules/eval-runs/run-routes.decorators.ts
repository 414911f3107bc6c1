import { Type } from '@nestjs/common';
import { ApiConflictResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { stacked } from '../../common/decorators';
import { ErrorResponseDto } from '../../common/dto/error-response.dto';
import { Answers } from '../../common/http/route.decorators';
import { Auth } from '../auth/decorators/auth.decorator';
import { EvalRunResponse } from './dto/eval-run-response.dto';

/**
 * The route shapes every run target (trace, session, …) shares: one decorator per kind of route,
 * so a target's controller names only its paths, texts and service calls.
 */

export interface RouteText {
  summary: string;
  description?: string;
}

/** POST that creates a run: 202 with the new run, under the `evalRuns` rate limit. */
export const RunCreationRoute = (text: RouteText, created = 'The new run, PENDING.') =>
  stacked(Auth({ limit: 'evalRuns' }), Answers.accepted(EvalRunResponse, text, created));

/** POST …/retry: a run creation that answers 409 while the run (or a retry of it) is unfinished. */
export const RunRetryRoute = (text: RouteText, conflict: string) =>
  stacked(RunCreationRoute(text), ApiConflictResponse({ type: ErrorResponseDto, description: conflict }));

/** POST …/cancel: 202 with the run CANCELLED, 409 when it already finished otherwise. */
export const RunCancelRoute = (text: RouteText) =>
  stacked(
    Auth(),
    Answers.accepted(EvalRunResponse, text, 'The run, CANCELLED.'),
    ApiConflictResponse({ type: ErrorResponseDto, description: 'The run is already COMPLETED or FAILED.' }),
  );

/** GET of the runs of a target, newest first. */
export const RunListRoute = (summary: string) => stacked(Auth(), Answers.page(EvalRunResponse, summary));

/** GET of one run. */
export const RunGetRoute = (summary: string) => stacked(Auth(), Answers.ok(EvalRunResponse, summary));

/** DELETE of one run: 204. */
export const RunDeleteRoute = (text: RouteText) => stacked(Auth(), Answers.noContent(text, 'Deleted.'));

/** GET …/scores: the run's scores as a bare, streamed array of `score`. */
export const RunScoresRoute = (summary: string, score: Type<unknown>) =>
  stacked(Auth(), ApiOperation({ summary }), ApiOkResponse({ type: score, isArray: true }));
