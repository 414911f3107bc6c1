import { Injectable } from '@nestjs/common';
import { Paginated } from '../../common/dto/pagination.dto';
import { notFound } from '../../common/errors/domain.error';
import { RequestValidationError } from '../../common/validation/validation';
import { ProjectContext } from '../auth/types/project-context';
import { ScoreDataType, ScoreSource } from './entities/trace-score.entity';
import { CreateTraceScoreRequest } from './dto/create-trace-score.dto';
import { ListTraceScoresQuery } from './dto/list-trace-scores.query.dto';
import { TraceScoreResponse } from './dto/trace-score-response.dto';
import { UpdateTraceScoreRequest } from './dto/update-trace-score.dto';
import { checkScoreValue } from './score-value';
import { ScoreChanges, TraceScoresRepository } from './trace-scores.repository';

/** The value must suit the data type; a bad one is a 422 on the `value` field. */
function validValue(dataType: ScoreDataType, raw: string): string {
  const check = checkScoreValue(dataType, raw);
  if (!check.ok) throw new RequestValidationError([{ field: 'value', message: check.message }]);
  return check.value;
}

const scoreNotFound = (scoreId: string) => notFound(`Score ${scoreId} not found.`);

/** Manual scores (annotations and programmatic ones) and reads of every score of a project. */
@Injectable()
export class TraceScoresService {
  constructor(private readonly scores: TraceScoresRepository) {}

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

  async list(ctx: ProjectContext, q: ListTraceScoresQuery): Promise<Paginated<TraceScoreResponse>> {
    const [items, total] = await this.scores.list(
      ctx.projectId,
      {
        subjectId: q.trace_id,
        name: q.name,
        source: q.source,
        status: q.status,
        dataType: q.data_type,
        evalRunId: q.eval_run_id,
        environment: q.environment,
        metricVersion: q.metric_version,
        createdFrom: q.date_from,
        createdBefore: q.date_to,
      },
      q.limit,
      q.offset,
    );
    return { items: items.map((s) => TraceScoreResponse.from(s)), total, limit: q.limit, offset: q.offset };
  }

  async latestForTrace(ctx: ProjectContext, traceId: string): Promise<TraceScoreResponse[]> {
    const scores = await this.scores.latestPerName(ctx.projectId, traceId);
    return scores.map((s) => TraceScoreResponse.from(s));
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

  async delete(ctx: ProjectContext, scoreId: string): Promise<void> {
    if (!(await this.scores.deleteInProject(ctx.projectId, scoreId))) throw scoreNotFound(scoreId);
  }
}
