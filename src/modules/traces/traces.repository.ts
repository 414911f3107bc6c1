import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Paginated } from '../../common/dto/pagination.dto';
import { SpanResponseDto, TraceListItemDto, TraceResponseDto, TraceUserSummaryDto } from './dto/trace-response.dto';
import { buildTraceFilterSql, TraceFilter } from './query/trace-filter';
import { TraceSize } from './trace-records';
import { SortOrder, TraceSortField } from './traces.constants';
import {
  SORT_COLUMNS,
  SPAN_JSON,
  TRACE_LIST_COLUMNS,
  TRACE_SIZE,
  TRACE_WITH_SPANS,
  TRACES_BYTES,
  ts,
} from './traces.sql';

/**
 * The read side of traces (and deletes): every statement scoped by project id. Writes go through
 * TraceWriter (trace-writer.ts).
 */
@Injectable()
export class TracesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** How big a trace of the project is (null when there is none), without reading it. */
  async traceSize(projectId: string, traceId: string): Promise<TraceSize | null> {
    const rows: { span_count: number; bytes: number; tags: number }[] = await this.dataSource.query(TRACE_SIZE, [
      projectId,
      traceId,
    ]);
    return rows[0] ? { spans: rows[0].span_count, bytes: rows[0].bytes, tags: rows[0].tags } : null;
  }

  /** Bytes of JSON of several traces of the project with their spans, without reading them. */
  async tracesBytes(projectId: string, traceIds: string[]): Promise<number> {
    const rows: { bytes: number }[] = await this.dataSource.query(TRACES_BYTES, [projectId, traceIds]);
    return rows[0].bytes;
  }

  async findTraceWithSpans(projectId: string, traceId: string): Promise<TraceResponseDto | null> {
    const rows: TraceResponseDto[] = await this.dataSource.query(
      `${TRACE_WITH_SPANS} WHERE t.project_id = $1 AND t.trace_id = $2`,
      [projectId, traceId],
    );
    return rows[0] ?? null;
  }

  /**
   * The same trace as findTraceWithSpans, as the JSON text PostgreSQL renders: a large trace then costs
   * this process one string, never a parse and a re-serialisation on the event loop.
   */
  async findTraceJson(projectId: string, traceId: string): Promise<string | null> {
    const rows: Array<{ body: string }> = await this.dataSource.query(
      `SELECT row_to_json(x)::text AS body FROM (${TRACE_WITH_SPANS} WHERE t.project_id = $1 AND t.trace_id = $2) x`,
      [projectId, traceId],
    );
    return rows[0]?.body ?? null;
  }

  async findTracesWithSpans(projectId: string, traceIds: string[]): Promise<TraceResponseDto[]> {
    if (traceIds.length === 0) return [];
    return this.dataSource.query(
      `${TRACE_WITH_SPANS} WHERE t.project_id = $1 AND t.trace_id = ANY($2::uuid[]) ORDER BY t.started_at, t.trace_id`,
      [projectId, traceIds],
    );
  }

  async findSpan(projectId: string, traceId: string, spanId: string): Promise<SpanResponseDto | null> {
    const rows: Array<{ span: SpanResponseDto }> = await this.dataSource.query(
      `SELECT ${SPAN_JSON('s')} AS span FROM spans s JOIN traces t ON t.trace_id = s.trace_id
       WHERE t.project_id = $1 AND s.trace_id = $2 AND s.span_id = $3`,
      [projectId, traceId, spanId],
    );
    return rows[0]?.span ?? null;
  }

  async listTraces(
    filter: TraceFilter,
    sort: { by: TraceSortField; order: SortOrder },
    page: { limit: number; offset: number },
  ): Promise<Paginated<TraceListItemDto>> {
    const where = buildTraceFilterSql(filter, 't', 1);
    const direction = sort.order === 'asc' ? 'ASC' : 'DESC';
    const n = where.params.length;
    const [items, counted] = await Promise.all([
      this.dataSource.query(
        `SELECT ${TRACE_LIST_COLUMNS} FROM traces t WHERE ${where.sql}
         ORDER BY ${SORT_COLUMNS[sort.by]} ${direction} NULLS LAST, t.trace_id ${direction}
         LIMIT $${n + 1} OFFSET $${n + 2}`,
        [...where.params, page.limit, page.offset],
      ) as Promise<TraceListItemDto[]>,
      this.dataSource.query(`SELECT count(*)::int AS total FROM traces t WHERE ${where.sql}`, where.params) as Promise<
        Array<{ total: number }>
      >,
    ]);
    return { items, total: counted[0].total, limit: page.limit, offset: page.offset };
  }

  async listUsers(projectId: string, page: { limit: number; offset: number }): Promise<Paginated<TraceUserSummaryDto>> {
    const [items, counted] = await Promise.all([
      this.dataSource.query(
        `SELECT user_id, count(*)::int AS trace_count, ${ts('min(started_at)')} AS first_seen,
                ${ts('max(started_at)')} AS last_seen, (count(*) FILTER (WHERE status = 'ERROR'))::int AS error_count
         FROM traces WHERE project_id = $1 AND user_id IS NOT NULL
         GROUP BY user_id ORDER BY max(started_at) DESC, user_id ASC LIMIT $2 OFFSET $3`,
        [projectId, page.limit, page.offset],
      ) as Promise<TraceUserSummaryDto[]>,
      this.dataSource.query(
        `SELECT count(DISTINCT user_id)::int AS total FROM traces WHERE project_id = $1 AND user_id IS NOT NULL`,
        [projectId],
      ) as Promise<Array<{ total: number }>>,
    ]);
    return { items, total: counted[0].total, limit: page.limit, offset: page.offset };
  }

  async deleteTrace(projectId: string, traceId: string): Promise<boolean> {
    const [, affected]: [unknown, number] = await this.dataSource.query(
      `DELETE FROM traces WHERE project_id = $1 AND trace_id = $2`,
      [projectId, traceId],
    );
    return affected > 0;
  }

  async deleteTraces(projectId: string, traceIds: string[]): Promise<number> {
    const [, affected]: [unknown, number] = await this.dataSource.query(
      `DELETE FROM traces WHERE project_id = $1 AND trace_id = ANY($2::uuid[])`,
      [projectId, traceIds],
    );
    return affected;
  }
}
