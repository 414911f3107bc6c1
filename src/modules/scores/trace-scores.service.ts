import { Injectable } from '@nestjs/common';
import { notFound } from '../../common/errors/domain.error';
import { RequestValidationError } from '../../common/validation/validation';
import { ProjectContext } from '../auth/types/project-context';
import { ScoreDataType, ScoreSource, TraceScoreEntity } from './entities/trace-score.entity';
import { CreateTraceScoreRequest } from './dto/create-trace-score.dto';
import { TraceScoreResponse } from './dto/trace-score-response.dto';
import { UpdateTraceScoreRequest } from './dto/update-trace-score.dto';
import { checkScoreValue } from './score-value';
import { scoreNotFound, ScoreServiceBase } from './score-service.base';
import { ScoreChanges, TraceScoresRepository } from './trace-scores.repository';

/** The value must suit the data type; a bad one is a 422 on the `value` field. */
function validValue(dataType: ScoreDataType, raw: string): string {
  const check = checkScoreValue(dataType, raw);
  if (!check.ok) throw new RequestValidationError([{ field: 'value', message: check.message }]);
  return check.value;
}

/** Manual scores (annotations and programmatic ones) and reads of every score of a project. */
@Injectable()
export class TraceScoresService extends ScoreServiceBase<TraceScoreEntity, TraceScoreResponse> {
  constructor(protected readonly scores: TraceScoresRepository) {
    super(scores, (s) => TraceScoreResponse.from(s), 'trace_id');
  }

  async create(ctx: ProjectContext, body: CreateTraceScoreRequest): Promise<TraceScoreResponse> {
    const dataType = body.data_type ?? ScoreDataType.NUMERIC;
    const created = await this.scores.insertForTrace(ctx.projectId, {
      traceId: body.trace_id,
      name: body.name,
      value: validValue(dataType, body.value),
      dataType,
      source: body.source ?? ScoreSource.ANNOTATION,
      reason: body.reason ?? null,
      metadata: body.metadata ?? {},
      authorUserId: ctx.principal.kind === 'user' ? ctx.principal.userId : null,
    });
    if (!created) throw notFound(`Trace ${body.trace_id} not found.`);
    return TraceScoreResponse.from(created);
  }

  latestForTrace(ctx: ProjectContext, traceId: string): Promise<TraceScoreResponse[]> {
    return this.latest(ctx, traceId);
  }

  async update(ctx: ProjectContext, scoreId: string, body: UpdateTraceScoreRequest): Promise<TraceScoreResponse> {
    const current = await this.scores.findInProject(ctx.projectId, scoreId);
    if (!current) throw scoreNotFound(scoreId);
    const changes: ScoreChanges = {};
    if (body.value != null) changes.value = validValue(current.dataType, body.value);
    if (body.reason != null) changes.reason = body.reason;
    if (body.metadata != null) changes.metadata = body.metadata;
    if (changes.value === undefined && current.value === null) {
      // The edit makes the score a SUCCESS; a success without a value means nothing.
      throw new RequestValidationError([{ field: 'value', message: 'value is required: this score has no value yet' }]);
    }
    const updated = await this.scores.annotate(ctx.projectId, scoreId, changes);
    if (!updated) throw scoreNotFound(scoreId);
    return TraceScoreResponse.from(updated);
  }
}
