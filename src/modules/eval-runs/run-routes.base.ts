import { Body, Delete, Get, Param, Post, Query, Res, Type } from '@nestjs/common';
import type { Response } from 'express';
import { Paginated } from '../../common/dto/pagination.dto';
import { streamJsonArray } from '../../common/stream-json-array';
import { ProjectId } from '../auth/decorators/current-project.decorator';
import {
  DeleteEvalRunQueryDto,
  EvalRunIdParams,
  ListEvalRunsQueryDto,
  RunScoresQueryDto,
} from './dto/eval-run-queries.dto';
import { EvalRunResponse } from './dto/eval-run-response.dto';
import { EvalRunsService, type BatchRunDto, type FilteredRunDto } from './eval-runs.service';
import {
  RunCancelRoute,
  RunCreationRoute,
  RunDeleteRoute,
  RunGetRoute,
  RunListRoute,
  RunRetryRoute,
  RunScoresRoute,
  type RouteText,
} from './run-routes.decorators';
import type { TargetType } from './run-targets';

/** One target's request bodies and the words of its run routes in the OpenAPI document. */
export interface RunRouteTexts {
  /** POST: a filtered, sampled run; `created` describes the 202. */
  create: { text: RouteText; created?: string; body: Type<FilteredRunDto> };
  /** POST batch: a run over explicit ids. */
  batch: { text: RouteText; body: Type<BatchRunDto> };
  list: string;
  get: string;
  delete: RouteText;
  retry: RouteText;
  retryConflict: string;
  cancel: RouteText;
  scores: string;
  /** The response type of one score of its runs. */
  score: Type<unknown>;
}

/**
 * The routes of every run target (create, batch, list, get, delete, retry, cancel, scores), written
 * once: a target's controller extends `RunRoutes(type, texts)` and names only its path, words and
 * request bodies. Every route calls EvalRunsService with the target type.
 */
export function RunRoutes(type: TargetType, texts: RunRouteTexts) {
  abstract class Routes {
    constructor(protected readonly runs: EvalRunsService) {}

    @Post()
    @RunCreationRoute(texts.create.text, texts.create.created)
    create(@ProjectId() projectId: string, @Body() dto: FilteredRunDto): Promise<EvalRunResponse> {
      return this.runs.createFiltered(projectId, type, dto);
    }

    @Post('batch')
    @RunCreationRoute(texts.batch.text)
    createBatch(@ProjectId() projectId: string, @Body() dto: BatchRunDto): Promise<EvalRunResponse> {
      return this.runs.createBatch(projectId, type, dto);
    }

    @Get()
    @RunListRoute(texts.list)
    list(@ProjectId() projectId: string, @Query() q: ListEvalRunsQueryDto): Promise<Paginated<EvalRunResponse>> {
      return this.runs.list(projectId, q, type);
    }

    @Get(':run_id')
    @RunGetRoute(texts.get)
    get(@ProjectId() projectId: string, @Param() p: EvalRunIdParams): Promise<EvalRunResponse> {
      return this.runs.get(projectId, p.run_id, type);
    }

    @Delete(':run_id')
    @RunDeleteRoute(texts.delete)
    async delete(
      @ProjectId() projectId: string,
      @Param() p: EvalRunIdParams,
      @Query() q: DeleteEvalRunQueryDto,
    ): Promise<void> {
      await this.runs.delete(projectId, p.run_id, q.delete_scores ?? false, type);
    }

    @Post(':run_id/retry')
    @RunRetryRoute(texts.retry, texts.retryConflict)
    retry(@ProjectId() projectId: string, @Param() p: EvalRunIdParams): Promise<EvalRunResponse> {
      return this.runs.retry(projectId, p.run_id, type);
    }

    @Post(':run_id/cancel')
    @RunCancelRoute(texts.cancel)
    cancel(@ProjectId() projectId: string, @Param() p: EvalRunIdParams): Promise<EvalRunResponse> {
      return this.runs.cancel(projectId, p.run_id, type);
    }

    @Get(':run_id/scores')
    @RunScoresRoute(texts.scores, texts.score)
    async scores(
      @ProjectId() projectId: string,
      @Param() p: EvalRunIdParams,
      @Query() q: RunScoresQueryDto,
      @Res() res: Response,
    ): Promise<void> {
      await streamJsonArray(res, await this.runs.scorePages(projectId, p.run_id, q, type));
    }
  }
  // The validation pipe and the OpenAPI document take a body's class from the parameter types the
  // compiler records; here those are the unions above, so record the target's own classes.
  Reflect.defineMetadata('design:paramtypes', [String, texts.create.body], Routes.prototype, 'create');
  Reflect.defineMetadata('design:paramtypes', [String, texts.batch.body], Routes.prototype, 'createBatch');
  return Routes;
}
