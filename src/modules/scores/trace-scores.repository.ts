import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { ScoreDataType, ScoreSource, ScoreStatus, TraceScoreEntity } from './entities/trace-score.entity';
import { ScoreRepositoryBase } from './score-repository.base';

export interface NewManualScore {
  traceId: string;
  name: string;
  value: string;
  dataType: ScoreDataType;
  source: ScoreSource;
  reason: string | null;
  metadata: Record<string, unknown>;
  authorUserId: string | null;
}

export interface ScoreChanges {
  value?: string;
  reason?: string;
  metadata?: Record<string, unknown>;
}

/** Trace-score persistence. Every method takes the project id first: no query leaves its project. */
@Injectable()
export class TraceScoresRepository extends ScoreRepositoryBase<TraceScoreEntity> {
  constructor(@InjectRepository(TraceScoreEntity) scores: Repository<TraceScoreEntity>) {
    super(scores, 'traceId');
  }

  /**
   * Inserts a manual score for a trace of the project through the entity; the trace is looked up in
   * the project first and its environment copied. Returns null when the project has no such trace
   * (also when it is deleted in between: the foreign key refuses the row).
   */
  async insertForTrace(projectId: string, score: NewManualScore): Promise<TraceScoreEntity | null> {
    const trace = await this.scores.manager
      .createQueryBuilder()
      .select('t.environment', 'environment')
      .from('traces', 't')
      .where('t.trace_id = :traceId AND t.project_id = :projectId', { traceId: score.traceId, projectId })
      .getRawOne<{ environment: string | null }>();
    if (!trace) return null;
    try {
      const result = await this.scores
        .createQueryBuilder()
        .insert()
        .values({
          traceId: score.traceId,
          projectId,
          name: score.name,
          dataType: score.dataType,
          value: score.value,
          source: score.source,
          status: ScoreStatus.SUCCESS,
          authorUserId: score.authorUserId,
          reason: score.reason,
          environment: trace.environment,
          metadata: score.metadata,
        } as QueryDeepPartialEntity<TraceScoreEntity>)
        .returning(['id'])
        .updateEntity(false)
        .execute();
      return this.scores.findOneByOrFail({ id: (result.raw as { id: string }[])[0].id, projectId });
    } catch (error) {
      if ((error as { code?: string }).code === '23503') return null;
      throw error;
    }
  }

  /** Applies a human edit: the score becomes a successful annotation. Null when the project has no such score. */
  async annotate(projectId: string, scoreId: string, changes: ScoreChanges): Promise<TraceScoreEntity | null> {
    const result = await this.scores
      .createQueryBuilder()
      .update(TraceScoreEntity)
      .set({
        ...changes,
        status: ScoreStatus.SUCCESS,
        source: ScoreSource.ANNOTATION,
        updatedAt: () => 'now()',
      } as QueryDeepPartialEntity<TraceScoreEntity>)
      .where('id = :scoreId AND project_id = :projectId', { scoreId, projectId })
      .execute();
    if (!result.affected) return null;
    return this.findInProject(projectId, scoreId);
  }
}
