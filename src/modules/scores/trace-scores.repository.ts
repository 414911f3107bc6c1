import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository, SelectQueryBuilder } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { ScoreDataType, ScoreSource, ScoreStatus, TraceScoreEntity } from '../eval-runs/entities/trace-score.entity';

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
   * Inserts a manual score for a trace of the project, in one statement: the trace is looked up in
   * the project and its environment copied. Returns null when the project has no such trace.
   */
  async insertForTrace(projectId: string, score: NewManualScore): Promise<TraceScoreEntity | null> {
    const rows: { id: string }[] = await this.scores.query(
      `INSERT INTO trace_scores
         (trace_id, project_id, name, data_type, value, source, status, author_user_id, reason, environment, metadata)
       SELECT t.trace_id, t.project_id, $3, $4, $5, $6, $7, $8, $9, t.environment, $10::jsonb
       FROM traces t
       WHERE t.trace_id = $1 AND t.project_id = $2
       RETURNING id`,
      [
        score.traceId,
        projectId,
        score.name,
        score.dataType,
        score.value,
        score.source,
        ScoreStatus.SUCCESS,
        score.authorUserId,
        score.reason,
        JSON.stringify(score.metadata),
      ],
    );
    if (rows.length === 0) return null;
    return this.scores.findOneByOrFail({ id: rows[0].id, projectId });
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
