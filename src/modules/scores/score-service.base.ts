import { Paginated } from '../../common/dto/pagination.dto';
import { notFound } from '../../common/errors/domain.error';
import { ProjectContext } from '../auth/types/project-context';
import type { ListTraceScoresQuery } from './dto/list-trace-scores.query.dto';
import type { SessionScoreEntity } from './entities/session-score.entity';
import type { TraceScoreEntity } from './entities/trace-score.entity';
import type { ScoreRepositoryBase } from './score-repository.base';

/**
 * The query of a score listing: a session listing lacks the trace-only filters (data_type,
 * environment, metric_version; the validation pipe rejects them there), so they read as absent.
 */
export type ScoreListQuery = Partial<Omit<ListTraceScoresQuery, 'limit' | 'offset'>> &
  Pick<ListTraceScoresQuery, 'limit' | 'offset'> & { session_id?: string };

export const scoreNotFound = (scoreId: string) => notFound(`Score ${scoreId} not found.`);

/**
 * The reads and the delete trace and session scores share, over the repository of one target type;
 * `subject` names the query parameter of the scored trace or session.
 */
export abstract class ScoreServiceBase<E extends TraceScoreEntity | SessionScoreEntity, R> {
  protected constructor(
    protected readonly scores: ScoreRepositoryBase<E>,
    private readonly toResponse: (score: E) => R,
    private readonly subject: 'trace_id' | 'session_id',
  ) {}

  async list(ctx: ProjectContext, q: ScoreListQuery): Promise<Paginated<R>> {
    const [items, total] = await this.scores.list(
      ctx.projectId,
      {
        subjectId: q[this.subject],
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
    return { items: items.map((s) => this.toResponse(s)), total, limit: q.limit, offset: q.offset };
  }

  /** The newest score of each name for one trace or session (any status), sorted by name. */
  protected async latest(ctx: ProjectContext, subjectId: string): Promise<R[]> {
    const scores = await this.scores.latestPerName(ctx.projectId, subjectId);
    return scores.map((s) => this.toResponse(s));
  }

  /** 404 for an unknown id (the original answers 204 there for session scores). */
  async delete(ctx: ProjectContext, scoreId: string): Promise<void> {
    if (!(await this.scores.deleteInProject(ctx.projectId, scoreId))) throw scoreNotFound(scoreId);
  }
}
