import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { sqlTimestamp } from '../../common/timestamps';
import { analyticsQuery } from '../analytics/analytics-query';
import { BucketWindow, bucketLabel, bucketOf, bucketSeries } from '../analytics/time-buckets';
import { escapeLikePattern } from '../traces/query/trace-filter';
import { SortOrder } from '../traces/traces.constants';
import { SessionAnalyticsBucket, SessionSummary } from './dto/session-response.dto';
import { SessionSortField } from './sessions.constants';

/** Which sessions GET /sessions lists. Every condition is about the session, never about single traces. */
export interface SessionFilter {
  projectId: string;
  /** A trace of the session has this user. */
  userId?: string;
  hasError?: boolean;
  /** Bounds on the session's first trace start: inclusive, exclusive (ISO timestamps). */
  startedAfter?: string;
  startedBefore?: string;
  /** A trace of the session has ANY of these tags. */
  tags?: string[];
  /** Case-insensitive substring of the session id. */
  query?: string;
}

/**
 * The per-session aggregates, over traces `t` grouped by session_id, as the original computes them
 * (reference §11): `last_at` is the latest end, `total_latency_ms` the sum of each trace's own
 * latency (an unfinished trace adds nothing; NULL when none has ended), so the idle time between
 * turns is not latency. `last_start` (the latest start) orders `recent`, so a session still running
 * is as recent as its newest trace. Every column read here is in the covering index
 * ix_traces_project_session, so the grouping is an index-only scan.
 */
const AGGREGATES = `
  t.session_id,
  count(*)::int AS trace_count,
  min(t.started_at) AS first_at,
  max(t.ended_at) AS last_at,
  max(t.started_at) AS last_start,
  (sum(EXTRACT(EPOCH FROM t.ended_at - t.started_at)) * 1000)::float8 AS total_latency_ms,
  bool_or(t.status = 'ERROR') AS has_error,
  sum(t.span_count)::int AS total_span_count,
  sum(t.total_tokens)::float8 AS total_tokens,
  sum(t.total_cost)::float8 AS total_cost`;

/**
 * Users and tags a session lists at most (the first ones in order): a session of thousands of traces
 * would otherwise carry every distinct tag of all of them, and a page of 200 such sessions ~100 MB
 * (issue 22, finding 2). With MAX_TAGS per trace and this cap, every list item has a bounded size.
 */
export const MAX_SESSION_LIST_VALUES = 100;

/** Users and tags of the session of row `s` (at most MAX_SESSION_LIST_VALUES each), read for a page of sessions only. */
const DETAILS = (project: string) => `
  (SELECT u.user_id FROM traces u
   WHERE u.project_id = ${project} AND u.session_id = s.session_id AND u.user_id IS NOT NULL
   ORDER BY u.started_at, u.trace_id LIMIT 1) AS user_id,
  ARRAY(SELECT DISTINCT u.user_id FROM traces u
        WHERE u.project_id = ${project} AND u.session_id = s.session_id AND u.user_id IS NOT NULL
        ORDER BY u.user_id LIMIT ${MAX_SESSION_LIST_VALUES}) AS user_ids,
  ARRAY(SELECT DISTINCT x FROM traces u CROSS JOIN LATERAL unnest(u.tags) AS x
        WHERE u.project_id = ${project} AND u.session_id = s.session_id ORDER BY x LIMIT ${MAX_SESSION_LIST_VALUES}) AS tags`;

const SUMMARY_COLUMNS = `
  s.session_id, s.trace_count,
  ${sqlTimestamp('s.first_at')} AS first_trace_at, ${sqlTimestamp('s.last_at')} AS last_trace_at,
  s.total_latency_ms, s.has_error, s.total_span_count, s.total_tokens, s.total_cost`;

const SORT_COLUMNS: Record<SessionSortField, string> = {
  recent: 's.last_start',
  trace_count: 's.trace_count',
  latency: 's.total_latency_ms',
  cost: 's.total_cost',
};

/** All SQL of the sessions API. Every statement is scoped by project id. */
@Injectable()
export class SessionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * One page of sessions with the number of sessions that match, in one statement (see
   * listSessionsSql); past the last page the count is taken on its own.
   */
  async list(
    filter: SessionFilter,
    sort: { by: SessionSortField; order: SortOrder },
    page: { limit: number; offset: number },
  ): Promise<{ items: SessionSummary[]; total: number }> {
    const q = listSessionsSql(filter, sort, page);
    const rows: Array<SessionSummary & { total?: number }> = await this.dataSource.query(q.sql, q.params);
    if (rows.length > 0) return { items: rows.map(({ total: _total, ...item }) => item), total: Number(rows[0].total) };
    if (page.offset === 0) return { items: [], total: 0 };
    const counted: Array<{ total: number }> = await this.dataSource.query(q.countSql, q.countParams);
    return { items: [], total: counted[0].total };
  }

  /** The aggregates of one session, or null when the project has no trace with that session id. */
  async summary(projectId: string, sessionId: string): Promise<SessionSummary | null> {
    const rows: SessionSummary[] = await this.dataSource.query(
      `WITH s AS (SELECT ${AGGREGATES} FROM traces t
                  WHERE t.project_id = $1 AND t.session_id = $2 GROUP BY t.session_id)
       SELECT ${SUMMARY_COLUMNS}, ${DETAILS('$1::uuid')} FROM s`,
      [projectId, sessionId],
    );
    return rows[0] ?? null;
  }

  /** Ids of one page of the session's traces, oldest first. */
  async traceIds(projectId: string, sessionId: string, page: { limit: number; offset: number }): Promise<string[]> {
    const rows: Array<{ trace_id: string }> = await this.dataSource.query(
      `SELECT trace_id FROM traces WHERE project_id = $1 AND session_id = $2
       ORDER BY started_at, trace_id LIMIT $3 OFFSET $4`,
      [projectId, sessionId, page.limit, page.offset],
    );
    return rows.map((r) => r.trace_id);
  }

  /** Deletes the session's traces (their spans cascade); scores of the session are not touched. */
  async delete(projectId: string, sessionId: string): Promise<number> {
    const [, affected]: [unknown, number] = await this.dataSource.query(
      `DELETE FROM traces WHERE project_id = $1 AND session_id = $2`,
      [projectId, sessionId],
    );
    return affected;
  }

  /**
   * Sessions per bucket of their first trace's start. Candidates are the sessions with a trace in the
   * window (read through the (project, started_at) index); a candidate counts when its first trace
   * is in the window too. Its aggregates cover all its traces, also those after the window.
   */
  analytics(projectId: string, w: BucketWindow): Promise<SessionAnalyticsBucket[]> {
    const g = '$2::text';
    const tz = '$5::text';
    return analyticsQuery(
      this.dataSource,
      `WITH candidates AS (
         SELECT DISTINCT t.session_id FROM traces t
         WHERE t.project_id = $1::uuid AND t.session_id IS NOT NULL
           AND t.started_at >= $3::timestamptz AND t.started_at < $4::timestamptz
       ), sessions AS (
         SELECT ${AGGREGATES} FROM traces t JOIN candidates c ON c.session_id = t.session_id
         WHERE t.project_id = $1::uuid
         GROUP BY t.session_id HAVING min(t.started_at) >= $3::timestamptz
       ), buckets AS (
         SELECT ${bucketOf('s.first_at', g, tz)} AS b, count(*)::int AS session_count,
                avg(s.trace_count)::float8 AS avg_traces_per_session,
                avg(s.total_latency_ms)::float8 AS avg_session_duration_ms
         FROM sessions s GROUP BY 1
       )
       SELECT ${bucketLabel('w.b', tz)} AS bucket, COALESCE(k.session_count, 0) AS session_count,
              k.avg_traces_per_session, k.avg_session_duration_ms
       FROM (${bucketSeries(g, '$3', '$4', tz)}) w LEFT JOIN buckets k ON k.b = w.b
       ORDER BY w.b`,
      [projectId, w.granularity, w.from, w.to, w.tz],
    );
  }
}

/**
 * GET /sessions as SQL (exported for bench/sessions, which EXPLAINs it): the aggregates of every
 * matching session are computed (filters on them are HAVING conditions), sorted, and only the page's
 * sessions get their users and tags; `count(*) OVER ()` carries the total on every row of the page.
 * Ties are broken by session_id.
 */
export function listSessionsSql(
  filter: SessionFilter,
  sort: { by: SessionSortField; order: SortOrder },
  page: { limit: number; offset: number },
): { sql: string; params: unknown[]; countSql: string; countParams: unknown[] } {
  const { where, having, params } = sessionConditions(filter);
  const direction = sort.order === 'asc' ? 'ASC' : 'DESC';
  const order = `${SORT_COLUMNS[sort.by]} ${direction} NULLS LAST, s.session_id ${direction}`;
  const n = params.length;
  const sessions = `SELECT ${AGGREGATES} FROM traces t WHERE ${where} GROUP BY t.session_id ${having ? `HAVING ${having}` : ''}`;
  return {
    sql: `WITH sessions AS (${sessions}),
      page AS (SELECT s.*, count(*) OVER () AS total FROM sessions s ORDER BY ${order} LIMIT $${n + 1} OFFSET $${n + 2})
      SELECT ${SUMMARY_COLUMNS}, ${DETAILS('$1::uuid')}, s.total::int AS total FROM page s ORDER BY ${order}`,
    params: [...params, page.limit, page.offset],
    countSql: `SELECT count(*)::int AS total FROM (${sessions}) s`,
    countParams: params,
  };
}

/** WHERE (per trace, constant within a session) and HAVING (on the aggregates) for a SessionFilter. */
function sessionConditions(filter: SessionFilter): { where: string; having: string; params: unknown[] } {
  const params: unknown[] = [filter.projectId];
  const bind = (value: unknown, cast = '') => {
    params.push(value);
    return `$${params.length}${cast}`;
  };
  const where = ['t.project_id = $1::uuid', 't.session_id IS NOT NULL'];
  const having: string[] = [];
  if (filter.query) where.push(`t.session_id ILIKE ${bind(`%${escapeLikePattern(filter.query)}%`)} ESCAPE '\\'`);
  // "Has a trace with ..." conditions select whole sessions, through the user and tag indexes.
  if (filter.userId !== undefined) {
    where.push(`t.session_id IN (SELECT u.session_id FROM traces u
      WHERE u.project_id = $1::uuid AND u.user_id = ${bind(filter.userId)} AND u.session_id IS NOT NULL)`);
  }
  if (filter.tags && filter.tags.length > 0) {
    where.push(`t.session_id IN (SELECT u.session_id FROM traces u
      WHERE u.project_id = $1::uuid AND u.tags && ${bind([...new Set(filter.tags)], '::text[]')}
        AND u.session_id IS NOT NULL)`);
  }
  if (filter.hasError !== undefined) having.push(`bool_or(t.status = 'ERROR') = ${bind(filter.hasError)}`);
  if (filter.startedAfter) {
    const after = bind(filter.startedAfter, '::timestamptz');
    having.push(`min(t.started_at) >= ${after}`);
    // Implied by it (a session that started after x has a trace after x), and cheap through the
    // (project, started_at) index when x is recent: only those sessions are aggregated.
    where.push(`t.session_id IN (SELECT u.session_id FROM traces u
      WHERE u.project_id = $1::uuid AND u.started_at >= ${after} AND u.session_id IS NOT NULL)`);
  }
  if (filter.startedBefore) having.push(`min(t.started_at) < ${bind(filter.startedBefore, '::timestamptz')}`);
  return { where: where.join(' AND '), having: having.join(' AND '), params };
}
