import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Paginated } from '../../common/dto/pagination.dto';
import { conflict, DomainError, ErrorCode, notFound } from '../../common/errors/domain.error';
import { APP_CONFIG } from '../../config/config.module';
import { AppConfig } from '../../config/env';
import { BatchDeleteTracesDto, BatchTagTracesDto } from './dto/batch.dto';
import { ListTracesQueryDto } from './dto/list-traces.query.dto';
import { SpanCreateDto } from './dto/span-create.dto';
import { SpanUpdateDto } from './dto/span-update.dto';
import {
  SpanResponseDto,
  TraceAcceptedDto,
  TraceListItemDto,
  TraceResponseDto,
  TraceUserSummaryDto,
} from './dto/trace-response.dto';
import { TraceCreateDto } from './dto/trace-create.dto';
import { TraceUpdateDto } from './dto/trace-update.dto';
import { LargeReadLimiter } from './large-read-limiter';
import { TraceFilter } from './query/trace-filter';
import { SpanRecord, TraceBounds, TraceRecord, TraceSize, WriteOutcome } from './trace-records';
import { TraceWriter } from './trace-writer';
import { TracesRepository } from './traces.repository';
import { parseTimestamp } from './utils/timestamp';
import { MAX_TAGS } from './traces.constants';
import { RequestValidationError } from '../../common/validation/validation';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const unique = (values: string[]) => [...new Set(values)];
const orNull = <T>(value: T | null | undefined): T | null => (value === undefined ? null : value);

export const traceNotFound = (traceId: string) => notFound(`Trace ${traceId} not found.`);
export const spanNotFound = (spanId: string, traceId: string) =>
  notFound(`Span ${spanId} not found on trace ${traceId}.`);

const tooManyTags = (what: string) =>
  new RequestValidationError([
    { field: 'tags', message: `${what}; at most ${MAX_TAGS} are allowed per trace. Nothing was changed.` },
  ]);

const tooLarge = (message: string) => new DomainError(ErrorCode.PAYLOAD_TOO_LARGE, message);

function traceTooBig(traceId: string, size: TraceSize, bounds: TraceBounds): Error {
  if (size.tags > bounds.tags) return tooManyTags(`Trace ${traceId} would hold ${size.tags} tags`);
  return size.spans > bounds.spans
    ? tooLarge(
        `Trace ${traceId} would hold ${size.spans} spans; at most ${bounds.spans} are allowed (MAX_SPANS_PER_TRACE). Nothing was changed.`,
      )
    : tooLarge(
        `Trace ${traceId} would hold ${size.bytes} bytes of JSON; at most ${bounds.bytes} are allowed (MAX_TRACE_BYTES). Nothing was changed.`,
      );
}

/** Ingestion, merge rules, queries and changes of traces; every call is scoped to one project. */
@Injectable()
export class TracesService {
  private readonly bounds: TraceBounds;
  private readonly maxResponseBytes: number;

  constructor(
    private readonly repository: TracesRepository,
    private readonly writer: TraceWriter,
    private readonly largeReads: LargeReadLimiter,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.bounds = { spans: config.bounds.spansPerTrace, bytes: config.bounds.traceBytes, tags: MAX_TAGS };
    this.maxResponseBytes = config.bounds.responseBytes;
  }

  /**
   * POST /traces: writes the trace and all its spans in one transaction before answering, merging into
   * an existing trace of the same project. A trace id owned by another project is a 409.
   * `provisional`: the body does not speak for the trace (OTLP spans without their root): it creates
   * the trace when new, and otherwise only merges its spans, session, user, tags and metadata.
   */
  async ingest(
    projectId: string,
    dto: TraceCreateDto,
    requestId?: string,
    options: { provisional?: boolean } = {},
  ): Promise<TraceAcceptedDto> {
    const trace = toTraceRecord(dto);
    const spans = toSpanRecords(dto.spans ?? []);
    if (spans.length > this.bounds.spans) {
      throw traceTooBig(trace.trace_id, { spans: spans.length, bytes: 0, tags: 0 }, this.bounds);
    }
    const outcome = await this.writer.upsertTraceWithSpans(
      projectId,
      trace,
      spans,
      this.bounds,
      options.provisional ?? false,
    );
    // Said without naming another project: the answer must not reveal that someone else holds the id.
    if (outcome === 'missing') throw conflict(`Trace id ${trace.trace_id} cannot be used; send a new trace id.`);
    this.assertWritten(trace.trace_id, outcome);
    return {
      trace_id: trace.trace_id,
      task_id: requestId && UUID.test(requestId) ? requestId.toLowerCase() : randomUUID(),
    };
  }

  /** POST /traces/{id}/spans: upserts spans (same merge rules as a re-post) into a trace of the project. */
  async addSpans(projectId: string, traceId: string, dtos: SpanCreateDto[]): Promise<{ span_ids: string[] }> {
    const spans = toSpanRecords(dtos);
    const outcome = await this.writer.upsertSpans(projectId, traceId, spans, this.bounds);
    if (outcome === 'missing') throw traceNotFound(traceId);
    this.assertWritten(traceId, outcome);
    return { span_ids: spans.map((s) => s.span_id) };
  }

  private assertWritten(traceId: string, outcome: WriteOutcome | 'trace' | 'span'): void {
    if (typeof outcome === 'object') throw traceTooBig(traceId, outcome.tooBig, this.bounds);
  }

  /** Loads a trace with its spans, or null when it is not in the project. For other modules too. */
  findTraceWithSpans(projectId: string, traceId: string): Promise<TraceResponseDto | null> {
    return this.repository.findTraceWithSpans(projectId, traceId);
  }

  /** Loads several traces with their spans (missing or foreign ids are skipped), ordered by start. */
  findTracesWithSpans(projectId: string, traceIds: string[]): Promise<TraceResponseDto[]> {
    return this.repository.findTracesWithSpans(projectId, unique(traceIds.map((id) => id.toLowerCase())));
  }

  /**
   * Several traces with their spans for one response (GET /sessions/{id}): their size is measured in
   * PostgreSQL first, and past MAX_RESPONSE_BYTES the request is refused with `hint` before anything
   * big is read; a large page takes a large-read permit like GET /traces/{id}.
   */
  async findTracesWithSpansForResponse(
    projectId: string,
    traceIds: string[],
    hint: string,
  ): Promise<TraceResponseDto[]> {
    const bytes = await this.repository.tracesBytes(projectId, traceIds);
    if (bytes > this.maxResponseBytes) {
      throw tooLarge(
        `These traces hold ${bytes} bytes of JSON, more than one response may carry (MAX_RESPONSE_BYTES=${this.maxResponseBytes}). ${hint}`,
      );
    }
    return this.largeReads.run(bytes, () => this.findTracesWithSpans(projectId, traceIds));
  }

  /**
   * PATCH /traces/{id} answers with the trace. The size is measured in PostgreSQL first, so a trace
   * larger than MAX_RESPONSE_BYTES is refused before anything big is read, parsed or serialised in
   * this process, and a read above LARGE_READ_BYTES needs one of MAX_LARGE_READS permits (429 when
   * none is free).
   */
  getTrace(projectId: string, traceId: string): Promise<TraceResponseDto> {
    return this.boundedRead(projectId, traceId, () => this.repository.findTraceWithSpans(projectId, traceId));
  }

  /**
   * GET /traces/{id}: the trace as JSON text rendered by PostgreSQL (same bounds as getTrace), so
   * even a large one is neither parsed nor serialised on the event loop. `sent` settles once the
   * response is written; a large read keeps its permit until then.
   */
  getTraceJson(projectId: string, traceId: string, sent?: Promise<unknown>): Promise<string> {
    return this.boundedRead(projectId, traceId, () => this.repository.findTraceJson(projectId, traceId), sent);
  }

  private async boundedRead<T>(
    projectId: string,
    traceId: string,
    read: () => Promise<T | null>,
    sent?: Promise<unknown>,
  ): Promise<T> {
    const size = await this.repository.traceSize(projectId, traceId);
    if (!size) throw traceNotFound(traceId);
    if (size.bytes > this.maxResponseBytes) {
      throw tooLarge(
        `Trace ${traceId} holds ${size.bytes} bytes of JSON, more than one response may carry (MAX_RESPONSE_BYTES=${this.maxResponseBytes}). The deployment can raise the limit.`,
      );
    }
    const trace = await this.largeReads.run(size.bytes, read, sent);
    if (!trace) throw traceNotFound(traceId);
    return trace;
  }

  listTraces(projectId: string, query: ListTracesQueryDto): Promise<Paginated<TraceListItemDto>> {
    return this.repository.listTraces(
      toTraceFilter(projectId, query),
      { by: query.sort_by ?? 'started_at', order: query.sort_order ?? 'desc' },
      { limit: query.limit ?? 50, offset: query.offset ?? 0 },
    );
  }

  listUsers(projectId: string, page: { limit?: number; offset?: number }): Promise<Paginated<TraceUserSummaryDto>> {
    return this.repository.listUsers(projectId, { limit: page.limit ?? 50, offset: page.offset ?? 0 });
  }

  async updateTrace(projectId: string, traceId: string, dto: TraceUpdateDto): Promise<TraceResponseDto> {
    const patch: Record<string, unknown> = { ...dto };
    if (Array.isArray(dto.tags)) patch.tags = unique(dto.tags);
    const outcome = await this.writer.updateTrace(projectId, traceId, patch, this.bounds);
    if (outcome === 'missing') throw traceNotFound(traceId);
    this.assertWritten(traceId, outcome);
    return this.getTrace(projectId, traceId);
  }

  async updateSpan(projectId: string, traceId: string, spanId: string, dto: SpanUpdateDto): Promise<SpanResponseDto> {
    const outcome = await this.writer.updateSpan(projectId, traceId, spanId, { ...dto }, this.bounds);
    if (outcome === 'trace') throw traceNotFound(traceId);
    if (outcome === 'span') throw spanNotFound(spanId, traceId);
    this.assertWritten(traceId, outcome);
    const span = await this.repository.findSpan(projectId, traceId, spanId);
    if (!span) throw spanNotFound(spanId, traceId); // deleted in between
    return span;
  }

  async deleteTrace(projectId: string, traceId: string): Promise<void> {
    if (!(await this.repository.deleteTrace(projectId, traceId))) throw traceNotFound(traceId);
  }

  async deleteTraces(projectId: string, dto: BatchDeleteTracesDto): Promise<{ deleted: number }> {
    return { deleted: await this.repository.deleteTraces(projectId, unique(dto.trace_ids)) };
  }

  async retagTraces(projectId: string, dto: BatchTagTracesDto): Promise<{ updated: number }> {
    const add = unique(dto.add_tags ?? []);
    const remove = unique(dto.remove_tags ?? []);
    if (add.length === 0 && remove.length === 0) return { updated: 0 };
    const result = await this.writer.retagTraces(projectId, unique(dto.trace_ids), add, remove, MAX_TAGS);
    if (result.overflowing > 0) throw tooManyTags(`${result.overflowing} of these traces would hold more tags`);
    return { updated: result.updated };
  }
}

/** The list's query parameters as the shared TraceFilter (same meaning as eval-run filters). */
export function toTraceFilter(projectId: string, query: ListTracesQueryDto): TraceFilter {
  return {
    projectId,
    startedFrom: query.started_after ? (parseTimestamp(query.started_after) ?? undefined) : undefined,
    startedBefore: query.started_before ? (parseTimestamp(query.started_before) ?? undefined) : undefined,
    status: query.status,
    sessionId: query.session_id,
    userId: query.user_id,
    tags: query.tags,
    name: query.name,
    environment: query.environment,
    release: query.release,
  };
}

/** What a trace and a span record take alike from their DTO (the columns of ObservationColumns). */
function observationFields(dto: TraceCreateDto | SpanCreateDto) {
  return {
    name: dto.name,
    input: orNull(dto.input),
    output: orNull(dto.output),
    metadata: dto.metadata ?? {},
    started_at: dto.started_at, // normalised to UTC by the DTO
    ended_at: orNull(dto.ended_at),
  };
}

function toTraceRecord(dto: TraceCreateDto): TraceRecord {
  return {
    trace_id: (dto.trace_id ?? randomUUID()).toLowerCase(),
    ...observationFields(dto),
    status: dto.status ?? 'COMPLETED',
    session_id: orNull(dto.session_id),
    user_id: orNull(dto.user_id),
    tags: unique(dto.tags ?? []),
    environment: orNull(dto.environment),
    release: orNull(dto.release),
  };
}

function toSpanRecord(dto: SpanCreateDto): SpanRecord {
  return {
    span_id: (dto.span_id ?? randomUUID()).toLowerCase(),
    parent_span_id: dto.parent_span_id ? dto.parent_span_id.toLowerCase() : null,
    ...observationFields(dto),
    kind: dto.kind ?? 'OTHER',
    status: dto.status ?? 'UNSET',
    model: orNull(dto.model),
    token_usage: orNull(dto.token_usage),
    error: orNull(dto.error),
    completion_start_time: orNull(dto.completion_start_time),
    model_parameters: orNull(dto.model_parameters),
    cost: orNull(dto.cost),
  };
}

/**
 * Spans in request order. A span id that appears twice is merged as if the two had been posted one
 * after the other (the later one wins, null never overwrites, metadata merges), since one statement
 * cannot upsert the same row twice.
 */
export function toSpanRecords(dtos: SpanCreateDto[]): SpanRecord[] {
  const byId = new Map<string, SpanRecord>();
  for (const dto of dtos) {
    const next = toSpanRecord(dto);
    const prev = byId.get(next.span_id);
    if (!prev) {
      byId.set(next.span_id, next);
      continue;
    }
    const merged = { ...prev } as Record<string, unknown>;
    for (const [key, value] of Object.entries(next)) {
      if (key === 'metadata') merged.metadata = { ...prev.metadata, ...next.metadata };
      else if (value !== null) merged[key] = value;
    }
    byId.set(next.span_id, merged as unknown as SpanRecord);
  }
  return [...byId.values()];
}
