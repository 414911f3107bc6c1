import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { Paginated } from '../../common/dto/pagination.dto';
import { SpanResponseDto, TraceListItemDto, TraceResponseDto, TraceUserSummaryDto } from './dto/trace-response.dto';
import { InsertBatcher } from './insert-batcher';
import { PgWrites } from './pg-writes';
import { buildTraceFilterSql, TraceFilter } from './query/trace-filter';
import { SortOrder, TraceSortField } from './traces.constants';
import type { SpanRecord, TraceRecord } from './trace-records';
import {
  INSERT_NEW_TRACES,
  PatchColumn,
  REFRESH_AGGREGATES,
  SORT_COLUMNS,
  SPAN_JSON,
  SPAN_PATCH_COLUMNS,
  TRACES_BYTES,
  TRACE_LIST_COLUMNS,
  TRACE_PATCH_COLUMNS,
  TRACE_SIZE,
  TRACE_WITH_SPANS,
  UPSERT_SPANS_AND_AGGREGATE,
  UPSERT_TRACE,
  ts,
} from './traces.sql';

export type { SpanRecord, TraceRecord } from './trace-records';

/** Bounds on one trace (MAX_SPANS_PER_TRACE, MAX_TRACE_BYTES). */
export interface TraceBounds {
  spans: number;
  bytes: number;
}
export interface TraceSize {
  spans: number;
  bytes: number;
}
/** A write that would take a trace past its bounds: nothing was changed. */
export type WriteOutcome = 'ok' | 'missing' | { tooBig: TraceSize };

/** Most JSON one batched INSERT carries; a heavier trace is written by itself. */
const BATCH_BYTES = 1024 * 1024;
/**
 * Write slots for batches of new traces, and how many of them one project's batches may hold: a
 * project alone gets two statements in flight, and however slow its writes are, one slot stays free
 * for the others (docs/security.md).
 */
export const INSERT_SLOTS = 3;
export const INSERT_SLOTS_PER_PROJECT = 2;

const json = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));

/**
 * All SQL of the traces module. Every statement is scoped by project id, and every write that touches
 * spans keeps the trace's aggregate columns exact in the same transaction. Lock order is always the
 * trace row first, then its spans.
 */
@Injectable()
export class TracesRepository {
  private readonly pg: PgWrites;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.pg = new PgWrites(dataSource);
  }

  /**
   * New traces, written several per statement when requests arrive together. Each travels as its
   * JSON, serialised once: the batch joins them, and their length caps a batch at BATCH_BYTES (a
   * trace that large is written on its own, outside the shared slots). A batch holds one project's
   * traces, and a project's batches hold at most INSERT_SLOTS_PER_PROJECT slots.
   */
  private readonly newTraces = new InsertBatcher<{ projectId: string; traceId: string; json: string }, boolean>(
    async (traces) => {
      const rows = await this.pg.runPooled<{ trace_id: string }>(
        INSERT_NEW_TRACES,
        [`[${traces.map((t) => t.json).join(',')}]`],
        'pp_insert_new_traces',
      );
      const inserted = new Set(rows.map((r) => r.trace_id));
      return traces.map((t) => inserted.has(t.traceId));
    },
    (t) => t.traceId,
    64,
    INSERT_SLOTS,
    1,
    { of: (t) => t.json.length, maxBatch: BATCH_BYTES },
    { groupOf: (t) => t.projectId, maxInFlightPerGroup: INSERT_SLOTS_PER_PROJECT },
  );

  /**
   * Inserts or merges a trace and its spans, atomically. A new trace id takes one statement; an
   * existing one is merged in a transaction under the trace row lock. Returns 'missing', having changed
   * nothing, when the trace id belongs to another project, and `tooBig` (nothing changed) when the
   * merge would take the trace past its bounds.
   */
  async upsertTraceWithSpans(
    projectId: string,
    trace: TraceRecord,
    spans: SpanRecord[],
    bounds: TraceBounds,
  ): Promise<WriteOutcome> {
    const traceParams = [
      trace.trace_id,
      projectId,
      trace.name,
      trace.status,
      json(trace.input),
      json(trace.output),
      JSON.stringify(trace.metadata),
      trace.started_at,
      trace.ended_at,
      trace.session_id,
      trace.user_id,
      trace.tags,
      trace.environment,
      trace.release,
    ];
    // A new trace is one request: its size is bounded by the body limit and checked by the service.
    const payload = JSON.stringify({ ...trace, project_id: projectId, spans });
    if (await this.newTraces.submit({ projectId, traceId: trace.trace_id, json: payload })) return 'ok';
    const spansJson = JSON.stringify(spans);
    return this.pg.inTransaction<WriteOutcome>(
      async (client) => {
        const upserted = await this.pg.run(client, UPSERT_TRACE, traceParams);
        if (upserted.length === 0) return 'missing';
        if (spans.length > 0) await this.pg.run(client, UPSERT_SPANS_AND_AGGREGATE, [trace.trace_id, spansJson]);
        return this.withinBounds(client, projectId, trace.trace_id, bounds);
      },
      (outcome) => outcome === 'ok',
    );
  }

  /** Upserts spans into an existing trace of the project, unless the trace would outgrow its bounds. */
  async upsertSpans(
    projectId: string,
    traceId: string,
    spans: SpanRecord[],
    bounds: TraceBounds,
  ): Promise<WriteOutcome> {
    return this.pg.inTransaction<WriteOutcome>(
      async (client) => {
        if (!(await this.lockTrace(client, projectId, traceId))) return 'missing';
        await this.pg.run(client, UPSERT_SPANS_AND_AGGREGATE, [traceId, JSON.stringify(spans)]);
        return this.withinBounds(client, projectId, traceId, bounds);
      },
      (outcome) => outcome === 'ok',
    );
  }

  /** How big a trace of the project is (null when there is none), without reading it. */
  async traceSize(projectId: string, traceId: string): Promise<TraceSize | null> {
    const rows: { span_count: number; bytes: number }[] = await this.dataSource.query(TRACE_SIZE, [projectId, traceId]);
    return rows[0] ? { spans: rows[0].span_count, bytes: rows[0].bytes } : null;
  }

  /** Bytes of JSON of several traces of the project with their spans, without reading them. */
  async tracesBytes(projectId: string, traceIds: string[]): Promise<number> {
    const rows: { bytes: number }[] = await this.dataSource.query(TRACES_BYTES, [projectId, traceIds]);
    return rows[0].bytes;
  }

  /** Measured after the write, inside its transaction: the caller rolls back when it is too big. */
  private async withinBounds(
    client: PoolClient,
    projectId: string,
    traceId: string,
    bounds: TraceBounds,
  ): Promise<WriteOutcome> {
    const [row] = await this.pg.run<{ span_count: number; bytes: number }>(client, TRACE_SIZE, [projectId, traceId]);
    const size = { spans: row.span_count, bytes: row.bytes };
    return size.spans > bounds.spans || size.bytes > bounds.bytes ? { tooBig: size } : 'ok';
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

  /** Applies a PATCH (only the keys present). Returns false when the trace is not in the project. */
  async updateTrace(projectId: string, traceId: string, patch: Record<string, unknown>): Promise<boolean> {
    const { sets, params } = buildPatch(TRACE_PATCH_COLUMNS, patch, 3);
    // A PATCH that sets nothing (an empty body, `{}`, only nulls on non-nullable keys) is a true
    // no-op: it must not bump updated_at.
    if (sets.length === 0) {
      const rows: unknown[] = await this.dataSource.query(
        'SELECT 1 FROM traces WHERE project_id = $1 AND trace_id = $2',
        [projectId, traceId],
      );
      return rows.length > 0;
    }
    const [, affected]: [unknown, number] = await this.dataSource.query(
      `UPDATE traces SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE project_id = $1 AND trace_id = $2`,
      [projectId, traceId, ...params],
    );
    return affected > 0;
  }

  /**
   * Applies a PATCH to one span and refreshes the trace's aggregates.
   * Returns 'trace' or 'span' when that one is missing from the project.
   */
  async updateSpan(
    projectId: string,
    traceId: string,
    spanId: string,
    patch: Record<string, unknown>,
  ): Promise<'ok' | 'trace' | 'span'> {
    return this.pg.inTransaction<'ok' | 'trace' | 'span'>(
      async (client) => {
        if (!(await this.lockTrace(client, projectId, traceId))) return 'trace';
        const { sets, params } = buildPatch(SPAN_PATCH_COLUMNS, patch, 3);
        // Nothing to set: a true no-op (the trace's updated_at stays as it is).
        const updated = await this.pg.run(
          client,
          sets.length > 0
            ? `UPDATE spans SET ${sets.join(', ')} WHERE trace_id = $1 AND span_id = $2 RETURNING span_id`
            : 'SELECT span_id FROM spans WHERE trace_id = $1 AND span_id = $2',
          sets.length > 0 ? [traceId, spanId, ...params] : [traceId, spanId],
        );
        if (updated.length === 0) return 'span';
        if (sets.length === 0) return 'ok';
        await this.pg.run(client, REFRESH_AGGREGATES, [traceId]);
        return 'ok';
      },
      (result) => result === 'ok',
    );
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

  /** Removes `remove`, then appends the tags of `add` that are not there yet. Returns the traces matched. */
  async retagTraces(projectId: string, traceIds: string[], add: string[], remove: string[]): Promise<number> {
    const [, affected]: [unknown, number] = await this.dataSource.query(
      `UPDATE traces t SET
         tags = k.kept || ARRAY(SELECT a FROM unnest($3::text[]) AS a WHERE a <> ALL (k.kept)),
         updated_at = now()
       FROM (SELECT trace_id, ARRAY(SELECT x FROM unnest(tags) AS x WHERE x <> ALL ($4::text[])) AS kept
             FROM traces WHERE project_id = $1 AND trace_id = ANY($2::uuid[])) k
       WHERE t.trace_id = k.trace_id AND t.project_id = $1`,
      [projectId, traceIds, add, remove],
    );
    return affected;
  }

  /** Locks the trace row (writers of one trace queue up here). False when it is not in the project. */
  private async lockTrace(client: PoolClient, projectId: string, traceId: string): Promise<boolean> {
    const rows = await this.pg.run(client, `SELECT 1 FROM traces WHERE project_id = $1 AND trace_id = $2 FOR UPDATE`, [
      projectId,
      traceId,
    ]);
    return rows.length > 0;
  }
}

/** Turns the keys present in a PATCH body into SET clauses over an allow-list of columns. */
function buildPatch(
  columns: Record<string, PatchColumn>,
  patch: Record<string, unknown>,
  firstParamIndex: number,
): { sets: string[]; params: unknown[] } {
  const sets: string[] = [];
  const params: unknown[] = [];
  const bind = (value: unknown, cast = '') => {
    params.push(value);
    return `$${firstParamIndex + params.length - 1}${cast}`;
  };
  for (const [column, spec] of Object.entries(columns)) {
    if (!Object.prototype.hasOwnProperty.call(patch, column)) continue;
    const value = patch[column];
    if (value === undefined) continue;
    switch (spec.kind) {
      case 'notNull':
        if (value !== null) sets.push(`${column} = ${bind(value, spec.cast)}`);
        break;
      case 'merge':
        if (value !== null) sets.push(`${column} = ${column} || ${bind(JSON.stringify(value), '::jsonb')}`);
        break;
      case 'json':
        sets.push(`${column} = ${bind(json(value), '::jsonb')}`);
        break;
      case 'value':
        sets.push(`${column} = ${bind(value, spec.cast)}`);
        break;
    }
  }
  return { sets, params };
}
