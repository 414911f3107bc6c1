import { Injectable } from '@nestjs/common';
import { Paginated } from '../../common/dto/pagination.dto';
import { notFound } from '../../common/errors/domain.error';
import { ProjectContext } from '../auth/types/project-context';
import { ListSessionScoresQuery } from './dto/list-session-scores.query.dto';
import { SessionScoreResponse } from './dto/session-score-response.dto';
import { SessionScoresRepository } from './session-scores.repository';

/** GET /evaluations/session-scores, its latest-per-metric view of one session, and DELETE. */
@Injectable()
export class SessionScoresService {
  constructor(private readonly scores: SessionScoresRepository) {}

  async list(ctx: ProjectContext, q: ListSessionScoresQuery): Promise<Paginated<SessionScoreResponse>> {
    const [items, total] = await this.scores.list(
      ctx.projectId,
      {
        subjectId: q.session_id,
        name: q.name,
        source: q.source,
        status: q.status,
        evalRunId: q.eval_run_id,
        createdFrom: q.date_from,
        createdBefore: q.date_to,
      },
      q.limit,
      q.offset,
    );
    return { items: items.map((s) => SessionScoreResponse.from(s)), total, limit: q.limit, offset: q.offset };
  }

  async latestForSession(ctx: ProjectContext, sessionId: string): Promise<SessionScoreResponse[]> {
    const scores = await this.scores.latestPerName(ctx.projectId, sessionId);
    return scores.map((s) => SessionScoreResponse.from(s));
  }

  /** 404 for an unknown id (the original answers 204 there; trace scores answer 404). */
  async delete(ctx: ProjectContext, scoreId: string): Promise<void> {
    if (!(await this.scores.deleteInProject(ctx.projectId, scoreId))) {
      throw notFound(`Score ${scoreId} not found.`);
    }
  }
}
