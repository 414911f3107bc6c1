import { Injectable } from '@nestjs/common';
import { Paginated } from '../../common/dto/pagination.dto';
import { notFound } from '../../common/errors/domain.error';
import { BucketWindow, checkWindow, DEFAULT_TIME_ZONE } from '../analytics/time-buckets';
import { TracesService } from '../traces/traces.service';
import { ListSessionsQueryDto, SessionAnalyticsQueryDto, SessionTracesPageDto } from './dto/session-queries.dto';
import {
  SessionAnalyticsBucket,
  SessionDeleteResponse,
  SessionDetail,
  SessionSummary,
} from './dto/session-response.dto';
import { SESSION_TRACES_DEFAULT_LIMIT } from './sessions.constants';
import { SessionsRepository } from './sessions.repository';

export const sessionNotFound = (sessionId: string) => notFound(`Session ${sessionId} not found.`);

/** Sessions: the traces of a project grouped by session_id. Every call is scoped to one project. */
@Injectable()
export class SessionsService {
  constructor(
    private readonly repository: SessionsRepository,
    private readonly traces: TracesService,
  ) {}

  async list(projectId: string, q: ListSessionsQueryDto): Promise<Paginated<SessionSummary>> {
    const page = { limit: q.limit ?? 50, offset: q.offset ?? 0 };
    const { items, total } = await this.repository.list(
      {
        projectId,
        userId: q.user_id,
        hasError: q.has_error,
        startedAfter: q.started_after,
        startedBefore: q.started_before,
        tags: q.tags,
        query: q.query,
      },
      { by: q.sort_by ?? 'recent', order: q.sort_order ?? 'desc' },
      page,
    );
    return { items, total, ...page };
  }

  /** The session's aggregates (over all its traces) and one page of its traces with their spans. */
  async get(projectId: string, sessionId: string, q: SessionTracesPageDto): Promise<SessionDetail> {
    const summary = await this.repository.summary(projectId, sessionId);
    if (!summary) throw sessionNotFound(sessionId);
    const ids = await this.repository.traceIds(projectId, sessionId, {
      limit: q.limit ?? SESSION_TRACES_DEFAULT_LIMIT,
      offset: q.offset ?? 0,
    });
    const traces = await this.traces.findTracesWithSpansForResponse(
      projectId,
      ids,
      'Ask for fewer traces at a time (limit, offset).',
    );
    return { ...summary, traces };
  }

  /** Deletes the session's traces; its session scores stay (they have no foreign key, as in PandaProbe). */
  async delete(projectId: string, sessionId: string): Promise<SessionDeleteResponse> {
    const deleted = await this.repository.delete(projectId, sessionId);
    if (deleted === 0) throw sessionNotFound(sessionId);
    return { deleted };
  }

  analytics(projectId: string, q: SessionAnalyticsQueryDto): Promise<SessionAnalyticsBucket[]> {
    const window: BucketWindow = {
      granularity: q.granularity ?? 'day',
      from: q.started_after,
      to: q.started_before,
      tz: q.tz ?? DEFAULT_TIME_ZONE,
    };
    checkWindow(window, { from: 'started_after', to: 'started_before' });
    return this.repository.analytics(projectId, window);
  }
}
