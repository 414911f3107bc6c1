import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { DomainError, ErrorCode } from '../../common/errors/domain.error';
import { APP_CONFIG } from '../../config/config.module';
import { AppConfig } from '../../config/env';
import { InsertBatcher } from './insert-batcher';
import { PgWrites } from './pg-writes';
import { SpanPatchOutcome, SpanRecord, TraceBounds, TraceRecord, TraceSize, WriteOutcome } from './trace-records';
import { TraceWriteGate } from './trace-write-gate';
import {
  buildPatch,
  INSERT_NEW_TRACES,
  json,
  patchTrace,
  REFRESH_AGGREGATES,
  REFRESH_SPAN_SIZE,
  RETAG_TRACES,
  SPAN_PATCH_COLUMNS,
  TRACE_PATCH_COLUMNS,
  TRACE_SIZE,
  UPSERT_PROVISIONAL_TRACE,
  UPSERT_SPANS_AND_AGGREGATE,
  UPSERT_TRACE,
} from './traces.sql';

/** Most JSON one batched INSERT carries; a heavier trace is written by itself. */
const BATCH_BYTES = 1024 * 1024;
/**
 * Write slots for batches of new traces, and how many of them one project's batches may hold: a
 * project alone gets two statements in flight, and however slow its writes are, one slot stays free
 * for the others (docs/security.md).
 */
export const INSERT_SLOTS = 3;
export const INSERT_SLOTS_PER_PROJECT = 2;

/**
 * The write path of traces and spans. Every statement is scoped by project id, and every write that
 * touches spans keeps the trace's aggregate columns exact in the same transaction. Lock order is
 * always the trace row first, then its spans.
 */
@Injectable()
export class TraceWriter {
  /**
   * New traces, written several per statement when requests arrive together. Each travels as its
   * JSON, serialised once: the batch joins them, and their length caps a batch at BATCH_BYTES (a
   * trace that large is written on its own, outside the shared slots). A batch holds one project's
   * traces, and a project's batches hold at most INSERT_SLOTS_PER_PROJECT slots. What waits is
   * bounded by INGEST_QUEUE_MAX_BYTES: past it, a 503 with Retry-After.
   */
  private readonly newTraces: InsertBatcher<{ projectId: string; traceId: string; json: string }, boolean>;
  private readonly pg: PgWrites;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly gate: TraceWriteGate,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.pg = new PgWrites(dataSource);
    const maxPending = config.tenants.ingestQueueMaxBytes;
    this.newTraces = new InsertBatcher<{ projectId: string; traceId: string; json: string }, boolean>(
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
    // A new trace is one request: its size is bounded by the body limit and checked by the service.
    const payload = JSON.stringify({ ...trace, project_id: projectId, spans });
    if (await this.newTraces.submit({ projectId, traceId: trace.trace_id, json: payload })) return 'ok';
    // An existing trace id: merged (its parameters are serialised only on this path).
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
    const spansJson = JSON.stringify(spans);
    return this.boundedWrite(projectId, trace.trace_id, bounds, async (client) => {
      const upserted = await this.pg.run(client, provisional ? UPSERT_PROVISIONAL_TRACE : UPSERT_TRACE, traceParams);
      if (upserted.length === 0) return false;
      if (spans.length > 0) await this.pg.run(client, UPSERT_SPANS_AND_AGGREGATE, [trace.trace_id, spansJson]);
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
      await this.pg.run(client, UPSERT_SPANS_AND_AGGREGATE, [traceId, JSON.stringify(spans)]);
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
      this.pg.inTransaction<WriteOutcome>(
        async (client) => ((await write(client)) ? this.withinBounds(client, projectId, traceId, bounds) : 'missing'),
        (outcome) => outcome === 'ok',
      ),
    );
  }

  /** Measured after the write, inside its transaction: the caller rolls back when it is too big. */
  private async withinBounds(
    client: PoolClient,
    projectId: string,
    traceId: string,
    bounds: TraceBounds,
  ): Promise<'ok' | { tooBig: TraceSize }> {
    const [row] = await this.pg.run<{ span_count: number; bytes: number; tags: number }>(client, TRACE_SIZE, [
      projectId,
      traceId,
    ]);
    const size = { spans: row.span_count, bytes: row.bytes, tags: row.tags };
    return size.spans > bounds.spans || size.bytes > bounds.bytes || size.tags > bounds.tags ? { tooBig: size } : 'ok';
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
      const updated = await this.pg.run(client, patchTrace(sets), [projectId, traceId, ...params]);
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
      this.pg.inTransaction<SpanPatchOutcome>(
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
          await this.pg.run(client, REFRESH_SPAN_SIZE, [traceId, spanId]);
          await this.pg.run(client, REFRESH_AGGREGATES, [traceId]);
          return this.withinBounds(client, projectId, traceId, bounds);
        },
        (result) => result === 'ok',
      ),
    );
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
    const [row] = await this.dataSource.query(RETAG_TRACES, [projectId, traceIds, add, remove, maxTags]);
    return row as { updated: number; overflowing: number };
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
