import { Inject, Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '../../common/errors/domain.error';
import { APP_CONFIG } from '../../config/config.module';
import { AppConfig } from '../../config/env';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool, PoolClient } from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import { Paginated } from '../../common/dto/pagination.dto';
import { SpanResponseDto, TraceListItemDto, TraceResponseDto, TraceUserSummaryDto } from './dto/trace-response.dto';
import { InsertBatcher } from './insert-batcher';
import { buildTraceFilterSql, TraceFilter } from './query/trace-filter';
import { TraceWriteGate } from './trace-write-gate';
import { SortOrder, SpanKind, SpanStatus, TraceSortField, TraceStatus } from './traces.constants';
import { sqlTimestamp } from '../../common/timestamps';

/** A trace ready to be written: ids chosen, defaults applied, timestamps normalised. */
export interface TraceRecord {
  trace_id: string;
  name: string;
  status: TraceStatus;
  input: unknown;
  output: unknown;
  metadata: Record<string, unknown>;
  started_at: string;
  ended_at: string | null;
  session_id: string | null;
  user_id: string | null;
  tags: string[];
  environment: string | null;
  release: string | null;
}

/** A span ready to be written (same keys as the wire format). */
export interface SpanRecord {
  span_id: string;
  parent_span_id: string | null;
  name: string;
  kind: SpanKind;
  status: SpanStatus;
  input: unknown;
  output: unknown;
  model: string | null;
  token_usage: Record<string, unknown> | null;
  metadata: Record<string, unknown>;
  started_at: string;
  ended_at: string | null;
  error: string | null;
  completion_start_time: string | null;
  model_parameters: Record<string, unknown> | null;
  cost: Record<string, number> | null;
}

/** Columns a PATCH may set, with how a value is bound. `merge` columns are merged, not replaced. */
type PatchColumn = { cast?: string; kind: 'value' | 'json' | 'merge' | 'notNull' };
const TRACE_PATCH_COLUMNS: Record<string, PatchColumn> = {
  name: { kind: 'notNull' },
  status: { kind: 'notNull' },
  tags: { kind: 'notNull', cast: '::text[]' },
  metadata: { kind: 'merge' },
  input: { kind: 'json' },
  output: { kind: 'json' },
  ended_at: { kind: 'value', cast: '::timestamptz' },
  session_id: { kind: 'value' },
  user_id: { kind: 'value' },
  environment: { kind: 'value' },
  release: { kind: 'value' },
};
const SPAN_PATCH_COLUMNS: Record<string, PatchColumn> = {
  name: { kind: 'notNull' },
  kind: { kind: 'notNull' },
  status: { kind: 'notNull' },
  metadata: { kind: 'merge' },
  input: { kind: 'json' },
  output: { kind: 'json' },
  token_usage: { kind: 'json' },
  model_parameters: { kind: 'json' },
  cost: { kind: 'json' },
  model: { kind: 'value' },
  error: { kind: 'value' },
  ended_at: { kind: 'value', cast: '::timestamptz' },
  completion_start_time: { kind: 'value', cast: '::timestamptz' },
};

const SORT_COLUMNS: Record<TraceSortField, string> = {
  started_at: 't.started_at',
  ended_at: 't.ended_at',
  name: 't.name',
  latency: 't.latency_ms',
  status: 't.status',
};

/** Timestamps leave the database in the one response format (src/common/timestamps.ts). */
const ts = sqlTimestamp;

/** What one span contributes to the trace totals; non-numeric values count as 0. */
const num = (json: string, key: string) =>
  `COALESCE(CASE WHEN jsonb_typeof(${json}->'${key}') = 'number' THEN (${json}->>'${key}')::numeric END, 0)`;
const SPAN_TOKENS = (alias: string) =>
  `${num(`${alias}.token_usage`, 'prompt_tokens')} + ${num(`${alias}.token_usage`, 'completion_tokens')}`;
const SPAN_COST = (alias: string) => num(`${alias}.cost`, 'total');

/** The trace totals over span rows aliased `alias` coming from `from`: one definition for every write path. */
const SPAN_TOTALS = (alias: string, from: string) => `
  SELECT count(*)::int AS span_count,
         round(COALESCE(sum(${SPAN_TOKENS(alias)}), 0))::bigint AS total_tokens,
         COALESCE(sum(${SPAN_COST(alias)}), 0)::float8 AS total_cost
  FROM ${from}`;
const SET_TOTALS = `span_count = a.span_count, total_tokens = a.total_tokens, total_cost = a.total_cost, updated_at = now()`;

const TRACE_LIST_COLUMNS = `
  t.trace_id, t.name, t.status, ${ts('t.started_at')} AS started_at, ${ts('t.ended_at')} AS ended_at,
  t.session_id, t.user_id, t.tags, t.environment, t.release, t.latency_ms, t.span_count,
  t.total_tokens::float8 AS total_tokens, t.total_cost`;

const SPAN_JSON = (s: string) => `json_build_object(
  'span_id', ${s}.span_id, 'trace_id', ${s}.trace_id, 'parent_span_id', ${s}.parent_span_id, 'name', ${s}.name,
  'kind', ${s}.kind, 'status', ${s}.status, 'input', ${s}.input, 'output', ${s}.output, 'model', ${s}.model,
  'token_usage', ${s}.token_usage, 'metadata', ${s}.metadata, 'started_at', ${ts(`${s}.started_at`)},
  'ended_at', ${ts(`${s}.ended_at`)}, 'error', ${s}.error, 'completion_start_time', ${ts(`${s}.completion_start_time`)},
  'model_parameters', ${s}.model_parameters, 'cost', ${s}.cost,
  'latency_ms', (EXTRACT(EPOCH FROM (${s}.ended_at - ${s}.started_at)) * 1000)::float8,
  'time_to_first_token_ms', (EXTRACT(EPOCH FROM (${s}.completion_start_time - ${s}.started_at)) * 1000)::float8)`;

const TRACE_WITH_SPANS = `
  SELECT ${TRACE_LIST_COLUMNS}, t.project_id, t.input, t.output, t.metadata,
    COALESCE((SELECT json_agg(${SPAN_JSON('s')} ORDER BY s.started_at, s.span_id)
              FROM spans s WHERE s.trace_id = t.trace_id), '[]'::json) AS spans
  FROM traces t`;

/** The spans of a request, read from one JSON parameter as a record set aliased `x`. */
const SPAN_RECORDSET = (param: string) => `jsonb_to_recordset(${param}::jsonb) AS x(
  span_id uuid, parent_span_id uuid, name text, kind text, status text, input jsonb, output jsonb, model text,
  token_usage jsonb, metadata jsonb, started_at timestamptz, ended_at timestamptz, error text,
  completion_start_time timestamptz, model_parameters jsonb, cost jsonb)`;

const SPAN_COLUMNS = `trace_id, span_id, parent_span_id, name, kind, status, input, output, model, token_usage,
  metadata, started_at, ended_at, error, completion_start_time, model_parameters, cost`;
const SPAN_VALUES = (traceId: string) => `${traceId}, x.span_id, x.parent_span_id, x.name, x.kind, x.status, x.input,
  x.output, x.model, x.token_usage, COALESCE(x.metadata, '{}'::jsonb), x.started_at, x.ended_at, x.error,
  x.completion_start_time, x.model_parameters, x.cost`;

const TRACE_COLUMNS = `trace_id, project_id, name, status, input, output, metadata, started_at, ended_at,
  session_id, user_id, tags, environment, release`;
const TRACE_VALUES = `$1::uuid, $2::uuid, $3::text, $4::text, $5::jsonb, $6::jsonb, $7::jsonb, $8::timestamptz,
  $9::timestamptz, $10::text, $11::text, $12::text[], $13::text, $14::text`;

/**
 * The common case: traces whose ids were not seen before, written with all their spans and their
 * aggregates in ONE statement (atomic without BEGIN/COMMIT), several traces at once when requests
 * arrive together (see InsertBatcher). Each element of the JSON parameter is a trace with its
 * spans; returns the ids that were new. The others exist, here or in another project, and take the
 * merge path (or the 409) one by one.
 */
const INSERT_NEW_TRACES = `
  WITH i AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(
      trace_id uuid, project_id uuid, name text, status text, input jsonb, output jsonb, metadata jsonb,
      started_at timestamptz, ended_at timestamptz, session_id text, user_id text, tags text[], environment text,
      release text, spans jsonb)
  ),
  ins AS (
    INSERT INTO traces (${TRACE_COLUMNS}, span_count, total_tokens, total_cost)
    SELECT i.trace_id, i.project_id, i.name, i.status, i.input, i.output, COALESCE(i.metadata, '{}'::jsonb),
           i.started_at, i.ended_at, i.session_id, i.user_id, COALESCE(i.tags, '{}'), i.environment, i.release,
           a.span_count, a.total_tokens, a.total_cost
    FROM i CROSS JOIN LATERAL (${SPAN_TOTALS('x', SPAN_RECORDSET('i.spans'))}) a
    ON CONFLICT (trace_id) DO NOTHING
    RETURNING trace_id
  ),
  sp AS (
    INSERT INTO spans (${SPAN_COLUMNS})
    SELECT ${SPAN_VALUES('ins.trace_id')} FROM ins JOIN i ON i.trace_id = ins.trace_id
    CROSS JOIN LATERAL ${SPAN_RECORDSET('i.spans')}
  )
  SELECT trace_id FROM ins`;

/**
 * A re-post: the trace's own fields come from the new body. A provisional body (spans whose trace
 * root has not been seen, e.g. OTLP children exported before their parent) only fills a new trace:
 * on an existing one it keeps the name, status, times, input and output already there.
 */
const upsertTrace = (provisional: boolean) => `
  INSERT INTO traces AS t (${TRACE_COLUMNS}) VALUES (${TRACE_VALUES})
  ON CONFLICT (trace_id) DO UPDATE SET
    ${
      provisional
        ? ''
        : `name = EXCLUDED.name,
    status = EXCLUDED.status,
    started_at = EXCLUDED.started_at,
    input = COALESCE(EXCLUDED.input, t.input),
    output = COALESCE(EXCLUDED.output, t.output),
    ended_at = COALESCE(EXCLUDED.ended_at, t.ended_at),`
    }
    session_id = COALESCE(EXCLUDED.session_id, t.session_id),
    user_id = COALESCE(EXCLUDED.user_id, t.user_id),
    environment = COALESCE(EXCLUDED.environment, t.environment),
    release = COALESCE(EXCLUDED.release, t.release),
    metadata = t.metadata || EXCLUDED.metadata,
    tags = t.tags || ARRAY(SELECT x FROM unnest(EXCLUDED.tags) AS x WHERE x <> ALL (t.tags)),
    updated_at = now()
  WHERE t.project_id = EXCLUDED.project_id
  RETURNING t.trace_id`;
const UPSERT_TRACE = upsertTrace(false);
const UPSERT_PROVISIONAL_TRACE = upsertTrace(true);

/**
 * Upserts every span of one trace in a single statement (the spans travel as one JSON parameter), then
 * recomputes the trace's aggregates from the spans as they are after the upsert: the upserted rows
 * come from RETURNING, the untouched ones from the table.
 */
const UPSERT_SPANS_AND_AGGREGATE = `
  WITH upserted AS (
    INSERT INTO spans AS s (${SPAN_COLUMNS})
    SELECT ${SPAN_VALUES('$1::uuid')} FROM ${SPAN_RECORDSET('$2')}
    ON CONFLICT (trace_id, span_id) DO UPDATE SET
      name = EXCLUDED.name,
      kind = EXCLUDED.kind,
      status = EXCLUDED.status,
      started_at = EXCLUDED.started_at,
      parent_span_id = COALESCE(EXCLUDED.parent_span_id, s.parent_span_id),
      input = COALESCE(EXCLUDED.input, s.input),
      output = COALESCE(EXCLUDED.output, s.output),
      model = COALESCE(EXCLUDED.model, s.model),
      token_usage = COALESCE(EXCLUDED.token_usage, s.token_usage),
      ended_at = COALESCE(EXCLUDED.ended_at, s.ended_at),
      error = COALESCE(EXCLUDED.error, s.error),
      completion_start_time = COALESCE(EXCLUDED.completion_start_time, s.completion_start_time),
      model_parameters = COALESCE(EXCLUDED.model_parameters, s.model_parameters),
      cost = COALESCE(EXCLUDED.cost, s.cost),
      metadata = s.metadata || EXCLUDED.metadata
    RETURNING s.span_id, s.token_usage, s.cost
  ), current_spans AS (
    SELECT u.token_usage, u.cost FROM upserted u
    UNION ALL
    SELECT s.token_usage, s.cost FROM spans s
    WHERE s.trace_id = $1::uuid AND NOT EXISTS (SELECT 1 FROM upserted u WHERE u.span_id = s.span_id)
  )
  UPDATE traces SET ${SET_TOTALS} FROM (${SPAN_TOTALS('c', 'current_spans c')}) a WHERE traces.trace_id = $1::uuid`;

const REFRESH_AGGREGATES = `
  UPDATE traces SET ${SET_TOTALS}
  FROM (${SPAN_TOTALS('s', 'spans s WHERE s.trace_id = $1::uuid')}) a
  WHERE traces.trace_id = $1::uuid`;

/**
 * The size of a trace as its JSON: the text of its free-form columns (input, output, metadata, error)
 * and those of its spans. Measured by PostgreSQL, so nothing big is read into Node to bound it.
 */
const JSON_BYTES = (a: string) =>
  `coalesce(octet_length(${a}.input::text), 0) + coalesce(octet_length(${a}.output::text), 0) + octet_length(${a}.metadata::text)`;
const TRACE_BYTES = `(${JSON_BYTES('t')} + coalesce((SELECT sum(${JSON_BYTES('s')} + coalesce(octet_length(s.error), 0))
                                         FROM spans s WHERE s.trace_id = t.trace_id), 0))`;
export const TRACE_SIZE = `
  SELECT t.span_count, ${TRACE_BYTES}::float8 AS bytes, cardinality(t.tags) AS tags
  FROM traces t WHERE t.project_id = $1 AND t.trace_id = $2`;
const TRACES_BYTES = `
  SELECT COALESCE(sum(${TRACE_BYTES}), 0)::float8 AS bytes FROM traces t
  WHERE t.project_id = $1 AND t.trace_id = ANY($2::uuid[])`;

/** Bounds on one trace (MAX_SPANS_PER_TRACE, MAX_TRACE_BYTES, MAX_TAGS). */
export interface TraceBounds {
  spans: number;
  bytes: number;
  tags: number;
}
export interface TraceSize {
  spans: number;
  bytes: number;
  tags: number;
}
/** A write that would take a trace past its bounds: nothing was changed. */
export type WriteOutcome = 'ok' | 'missing' | { tooBig: TraceSize };
/** A span PATCH: 'trace' or 'span' when that one is missing from the project. */
export type SpanPatchOutcome = 'ok' | 'trace' | 'span' | { tooBig: TraceSize };

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
  /**
   * New traces, written several per statement when requests arrive together. Each travels as its
   * JSON, serialised once: the batch joins them, and their length caps a batch at BATCH_BYTES (a
   * trace that large is written on its own, outside the shared slots). A batch holds one project's
   * traces, and a project's batches hold at most INSERT_SLOTS_PER_PROJECT slots. What waits is
   * bounded by INGEST_QUEUE_MAX_BYTES: past it, a 503 with Retry-After.
   */
  private readonly newTraces: InsertBatcher<{ projectId: string; traceId: string; json: string }, boolean>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly gate: TraceWriteGate,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const maxPending = config.tenants.ingestQueueMaxBytes;
    this.newTraces = new InsertBatcher<{ projectId: string; traceId: string; json: string }, boolean>(
      async (traces) => {
        const rows = await this.run<{ trace_id: string }>(
          this.pool,
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
      {
        maxPendingWeight: maxPending,
        refuse: () =>
          new DomainError(
            ErrorCode.DEPENDENCY_UNAVAILABLE,
            `Ingestion is backed up: more than ${maxPending} bytes of traces wait for the database in this process (INGEST_QUEUE_MAX_BYTES). Retry after 1 seconds.`,
            { retryAfterSeconds: 1 },
          ),
      },
    );
  }

  /**
   * Inserts or merges a trace and its spans, atomically. A new trace id takes one statement; an
   * existing one is merged in a transaction under the trace row lock. Returns 'missing', having changed
   * nothing, when the trace id belongs to another project, and `tooBig` (nothing changed) when the
   * merge would take the trace past its bounds. `provisional`: see upsertTrace.
   */
  async upsertTraceWithSpans(
    projectId: string,
    trace: TraceRecord,
    spans: SpanRecord[],
    bounds: TraceBounds,
    provisional = false,
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
    return this.boundedWrite(projectId, trace.trace_id, bounds, async (client) => {
      const upserted = await this.run(client, provisional ? UPSERT_PROVISIONAL_TRACE : UPSERT_TRACE, traceParams);
      if (upserted.length === 0) return false;
      if (spans.length > 0) await this.run(client, UPSERT_SPANS_AND_AGGREGATE, [trace.trace_id, spansJson]);
      return true;
    });
  }

  /** Upserts spans into an existing trace of the project, unless the trace would outgrow its bounds. */
  async upsertSpans(
    projectId: string,
    traceId: string,
    spans: SpanRecord[],
    bounds: TraceBounds,
  ): Promise<WriteOutcome> {
    return this.boundedWrite(projectId, traceId, bounds, async (client) => {
      if (!(await this.lockTrace(client, projectId, traceId))) return false;
      await this.run(client, UPSERT_SPANS_AND_AGGREGATE, [traceId, JSON.stringify(spans)]);
      return true;
    });
  }

  /**
   * Every write to an existing trace goes through here: admitted by the write gate (one writer per
   * trace per process, a project's share of the pool), then `write` in a transaction that commits
   * only when the trace is still within its bounds afterwards (spans, JSON bytes, tags). `write`
   * returns false when the trace is not in the project ('missing').
   */
  private boundedWrite(
    projectId: string,
    traceId: string,
    bounds: TraceBounds,
    write: (client: PoolClient) => Promise<boolean>,
  ): Promise<WriteOutcome> {
    return this.gate.run(projectId, traceId, () =>
      this.inTransaction<WriteOutcome>(
        async (client) => ((await write(client)) ? this.withinBounds(client, projectId, traceId, bounds) : 'missing'),
        (outcome) => outcome === 'ok',
      ),
    );
  }

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

  /** Measured after the write, inside its transaction: the caller rolls back when it is too big. */
  private async withinBounds(
    client: PoolClient,
    projectId: string,
    traceId: string,
    bounds: TraceBounds,
  ): Promise<'ok' | { tooBig: TraceSize }> {
    const [row] = await this.run<{ span_count: number; bytes: number; tags: number }>(client, TRACE_SIZE, [
      projectId,
      traceId,
    ]);
    const size = { spans: row.span_count, bytes: row.bytes, tags: row.tags };
    return size.spans > bounds.spans || size.bytes > bounds.bytes || size.tags > bounds.tags ? { tooBig: size } : 'ok';
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

  /**
   * Applies a PATCH (only the keys present) within the trace's bounds: a metadata merge that takes the
   * trace past MAX_TRACE_BYTES is rolled back like an oversized append.
   */
  async updateTrace(
    projectId: string,
    traceId: string,
    patch: Record<string, unknown>,
    bounds: TraceBounds,
  ): Promise<WriteOutcome> {
    const { sets, params } = buildPatch(TRACE_PATCH_COLUMNS, patch, 3);
    // A PATCH that sets nothing (an empty body, `{}`, only nulls on non-nullable keys) is a true
    // no-op: it must not bump updated_at.
    if (sets.length === 0) {
      const rows: unknown[] = await this.dataSource.query(
        'SELECT 1 FROM traces WHERE project_id = $1 AND trace_id = $2',
        [projectId, traceId],
      );
      return rows.length > 0 ? 'ok' : 'missing';
    }
    return this.boundedWrite(projectId, traceId, bounds, async (client) => {
      const updated = await this.run(
        client,
        `UPDATE traces SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE project_id = $1 AND trace_id = $2
         RETURNING 1`,
        [projectId, traceId, ...params],
      );
      return updated.length > 0;
    });
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
    bounds: TraceBounds,
  ): Promise<SpanPatchOutcome> {
    return this.gate.run(projectId, traceId, () =>
      this.inTransaction<SpanPatchOutcome>(
        async (client) => {
          if (!(await this.lockTrace(client, projectId, traceId))) return 'trace';
          const { sets, params } = buildPatch(SPAN_PATCH_COLUMNS, patch, 3);
          // Nothing to set: a true no-op (the trace's updated_at stays as it is).
          const updated = await this.run(
            client,
            sets.length > 0
              ? `UPDATE spans SET ${sets.join(', ')} WHERE trace_id = $1 AND span_id = $2 RETURNING span_id`
              : 'SELECT span_id FROM spans WHERE trace_id = $1 AND span_id = $2',
            sets.length > 0 ? [traceId, spanId, ...params] : [traceId, spanId],
          );
          if (updated.length === 0) return 'span';
          if (sets.length === 0) return 'ok';
          await this.run(client, REFRESH_AGGREGATES, [traceId]);
          return this.withinBounds(client, projectId, traceId, bounds);
        },
        (result) => result === 'ok',
      ),
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

  /**
   * Removes `remove`, then appends the tags of `add` that are not there yet, in one statement that
   * changes nothing when any matched trace would end with more than `maxTags` tags. Returns the traces
   * matched, or the number of traces that would overflow.
   */
  async retagTraces(
    projectId: string,
    traceIds: string[],
    add: string[],
    remove: string[],
    maxTags: number,
  ): Promise<{ updated: number; overflowing: number }> {
    const [row] = await this.dataSource.query(
      `WITH k AS (
         SELECT trace_id, kept || ARRAY(SELECT a FROM unnest($3::text[]) AS a WHERE a <> ALL (kept)) AS tags
         FROM (SELECT trace_id, ARRAY(SELECT x FROM unnest(tags) AS x WHERE x <> ALL ($4::text[])) AS kept
               FROM traces WHERE project_id = $1 AND trace_id = ANY($2::uuid[]) FOR UPDATE) c
       ), over AS (SELECT count(*)::int AS n FROM k WHERE cardinality(k.tags) > $5),
       u AS (
         UPDATE traces t SET tags = k.tags, updated_at = now() FROM k
         WHERE t.trace_id = k.trace_id AND t.project_id = $1 AND (SELECT n FROM over) = 0
         RETURNING 1
       )
       SELECT (SELECT n FROM over) AS overflowing, (SELECT count(*)::int FROM u) AS updated`,
      [projectId, traceIds, add, remove, maxTags],
    );
    return row as { updated: number; overflowing: number };
  }

  /** Locks the trace row (writers of one trace queue up here). False when it is not in the project. */
  private async lockTrace(client: PoolClient, projectId: string, traceId: string): Promise<boolean> {
    const rows = await this.run(client, `SELECT 1 FROM traces WHERE project_id = $1 AND trace_id = $2 FOR UPDATE`, [
      projectId,
      traceId,
    ]);
    return rows.length > 0;
  }

  /**
   * The write paths talk to the pg pool that TypeORM owns, without the ORM's per-query layers (they
   * showed in the ingestion profile). Errors are wrapped as TypeORM's QueryFailedError so the global
   * filter maps them as for any other query.
   */
  private get pool(): Pool {
    return (this.dataSource.driver as unknown as { master: Pool }).master;
  }

  private async run<R = Record<string, unknown>>(
    db: Pool | PoolClient,
    sql: string,
    params: unknown[],
    name?: string,
  ): Promise<R[]> {
    try {
      // A name makes pg prepare the statement once per connection: hot paths skip parse and plan.
      return (await db.query(name ? { name, text: sql, values: params } : { text: sql, values: params })).rows as R[];
    } catch (error) {
      throw new QueryFailedError(sql, params, error as Error);
    }
  }

  /** Runs `work` in a transaction; commits when `commitIf(result)` holds, otherwise rolls back. */
  private async inTransaction<T>(
    work: (client: PoolClient) => Promise<T>,
    commitIf: (result: T) => boolean,
  ): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      let result: T;
      try {
        result = await work(client);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        throw error;
      }
      await client.query(commitIf(result) ? 'COMMIT' : 'ROLLBACK');
      return result;
    } catch (error) {
      broken = broken || !(error instanceof QueryFailedError);
      throw error;
    } finally {
      client.release(broken);
    }
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
