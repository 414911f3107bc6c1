import { FindOptionsWhere, Repository, SelectQueryBuilder } from 'typeorm';
import { SessionScoreEntity } from './entities/session-score.entity';
import { ScoreDataType, ScoreSource, ScoreStatus, TraceScoreEntity } from './entities/trace-score.entity';

export interface ScoreFilters {
  /** The trace id or the session id the scores are about. */
  subjectId?: string;
  name?: string;
  source?: ScoreSource;
  status?: ScoreStatus;
  dataType?: ScoreDataType;
  evalRunId?: string;
  environment?: string;
  /** `metadata.metric_version`: the version of the metric that made the score. */
  metricVersion?: string;
  /** Inclusive, on created_at; an ISO timestamp (microseconds kept). */
  createdFrom?: string;
  /** Exclusive, on created_at; an ISO timestamp (microseconds kept). */
  createdBefore?: string;
}

/**
 * The reads and deletes trace and session scores share; they differ only in the column naming what
 * is scored. Every method takes the project id first: no query leaves its project.
 */
export abstract class ScoreRepositoryBase<E extends TraceScoreEntity | SessionScoreEntity> {
  protected constructor(
    protected readonly scores: Repository<E>,
    private readonly subject: 'traceId' | 'sessionId',
  ) {}

  findInProject(projectId: string, scoreId: string): Promise<E | null> {
    return this.scores.findOneBy({ id: scoreId, projectId } as FindOptionsWhere<E>);
  }

  /** A page of the project's scores, newest first, and the number of matches. */
  list(projectId: string, filters: ScoreFilters, limit: number, offset: number): Promise<[E[], number]> {
    const qb = this.filtered(projectId, filters)
      .orderBy('s.createdAt', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .limit(limit)
      .offset(offset);
    return Promise.all([qb.getMany(), this.filtered(projectId, filters).getCount()]);
  }

  /** The newest score of each name for one trace or session of the project (any status), sorted by name. */
  latestPerName(projectId: string, subjectId: string): Promise<E[]> {
    return this.scores
      .createQueryBuilder('s')
      .distinctOn(['s.name'])
      .where(`s.projectId = :projectId AND s.${this.subject} = :subjectId`, { projectId, subjectId })
      .orderBy('s.name', 'ASC')
      .addOrderBy('s.createdAt', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .getMany();
  }

  /** True when a score of the project was deleted. */
  async deleteInProject(projectId: string, scoreId: string): Promise<boolean> {
    const result = await this.scores.delete({ id: scoreId, projectId } as FindOptionsWhere<E>);
    return (result.affected ?? 0) > 0;
  }

  private filtered(projectId: string, f: ScoreFilters): SelectQueryBuilder<E> {
    const qb = this.scores.createQueryBuilder('s').where('s.projectId = :projectId', { projectId });
    if (f.subjectId !== undefined) qb.andWhere(`s.${this.subject} = :subjectId`, { subjectId: f.subjectId });
    if (f.name !== undefined) qb.andWhere('s.name = :name', { name: f.name });
    if (f.source !== undefined) qb.andWhere('s.source = :source', { source: f.source });
    if (f.status !== undefined) qb.andWhere('s.status = :status', { status: f.status });
    if (f.dataType !== undefined) qb.andWhere('s.dataType = :dataType', { dataType: f.dataType });
    if (f.evalRunId !== undefined) qb.andWhere('s.evalRunId = :evalRunId', { evalRunId: f.evalRunId });
    if (f.environment !== undefined) qb.andWhere('s.environment = :environment', { environment: f.environment });
    if (f.metricVersion !== undefined) {
      qb.andWhere(`s.metadata ? 'metric_version' AND s.metadata->>'metric_version' = :metricVersion`, {
        metricVersion: f.metricVersion,
      });
    }
    if (f.createdFrom !== undefined) qb.andWhere('s.createdAt >= :createdFrom', { createdFrom: f.createdFrom });
    if (f.createdBefore !== undefined) qb.andWhere('s.createdAt < :createdBefore', { createdBefore: f.createdBefore });
    return qb;
  }
}
