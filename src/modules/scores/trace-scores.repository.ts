import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository, SelectQueryBuilder } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { ScoreDataType, ScoreSource, ScoreStatus, TraceScoreEntity } from './entities/trace-score.entity';

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

export interface TraceScoreFilters {
  traceId?: string;
  name?: string;
  source?: ScoreSource;
  status?: ScoreStatus;
  dataType?: ScoreDataType;
  evalRunId?: string;
  environment?: string;
  /** Inclusive, on created_at; an ISO timestamp (microseconds kept). */
  createdFrom?: string;
  /** Exclusive, on created_at; an ISO timestamp (microseconds kept). */
  createdBefore?: string;
}

export interface ScoreChanges {
  value?: string;
  reason?: string;
  metadata?: Record<string, unknown>;
}

/** Trace-score persistence. Every method takes the project id first: no query leaves its project. */
@Injectable()
export class TraceScoresRepository {
  constructor(@InjectRepository(TraceScoreEntity) private readonly scores: Repository<TraceScoreEntity>) {}

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

  findInProject(projectId: string, scoreId: string): Promise<TraceScoreEntity | null> {
    return this.scores.findOneBy({ id: scoreId, projectId });
  }

  async list(
    projectId: string,
    filters: TraceScoreFilters,
    limit: number,
    offset: number,
  ): Promise<[TraceScoreEntity[], number]> {
    const qb = this.filtered(projectId, filters)
      .orderBy('s.createdAt', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .limit(limit)
      .offset(offset);
    return Promise.all([qb.getMany(), this.filtered(projectId, filters).getCount()]);
  }

  /** The newest score of each name for a trace of the project (any status), sorted by name. */
  latestPerName(projectId: string, traceId: string): Promise<TraceScoreEntity[]> {
    return this.scores
      .createQueryBuilder('s')
      .distinctOn(['s.name'])
      .where('s.projectId = :projectId AND s.traceId = :traceId', { projectId, traceId })
      .orderBy('s.name', 'ASC')
      .addOrderBy('s.createdAt', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .getMany();
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

  /** True when a score of the project was deleted. */
  async deleteInProject(projectId: string, scoreId: string): Promise<boolean> {
    const result = await this.scores.delete({ id: scoreId, projectId });
    return (result.affected ?? 0) > 0;
  }

  private filtered(projectId: string, f: TraceScoreFilters): SelectQueryBuilder<TraceScoreEntity> {
    const qb = this.scores.createQueryBuilder('s').where('s.projectId = :projectId', { projectId });
    if (f.traceId !== undefined) qb.andWhere('s.traceId = :traceId', { traceId: f.traceId });
    if (f.name !== undefined) qb.andWhere('s.name = :name', { name: f.name });
    if (f.source !== undefined) qb.andWhere('s.source = :source', { source: f.source });
    if (f.status !== undefined) qb.andWhere('s.status = :status', { status: f.status });
    if (f.dataType !== undefined) qb.andWhere('s.dataType = :dataType', { dataType: f.dataType });
    if (f.evalRunId !== undefined) qb.andWhere('s.evalRunId = :evalRunId', { evalRunId: f.evalRunId });
    if (f.environment !== undefined) qb.andWhere('s.environment = :environment', { environment: f.environment });
    if (f.createdFrom !== undefined) qb.andWhere('s.createdAt >= :createdFrom', { createdFrom: f.createdFrom });
    if (f.createdBefore !== undefined) qb.andWhere('s.createdAt < :createdBefore', { createdBefore: f.createdBefore });
    return qb;
  }
}
