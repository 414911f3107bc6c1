import { ApiProperty } from '@nestjs/swagger';
import { SPAN_KINDS, SPAN_STATUSES, SpanKind, SpanStatus, TRACE_STATUSES, TraceStatus } from '../traces.constants';
import { ANY_JSON } from './any-json.schema';
import { PageOf } from '../../../common/dto/pagination.dto';

const TIMESTAMP = 'ISO-8601 in UTC with microseconds, e.g. 2026-02-23T11:15:00.123000Z';

export class TraceAcceptedDto {
  @ApiProperty({ format: 'uuid' })
  trace_id: string;

  @ApiProperty({
    description:
      'Identifies this ingestion request: the X-Request-ID header when it is a UUID, otherwise a new UUID. ' +
      'The trace is already committed when this is returned, so there is nothing to poll.',
  })
  task_id: string;
}

export class SpansAcceptedDto {
  @ApiProperty({ type: [String], format: 'uuid' })
  span_ids: string[];
}

export class SpanResponseDto {
  @ApiProperty({ format: 'uuid' }) span_id: string;
  @ApiProperty({ format: 'uuid' }) trace_id: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) parent_span_id: string | null;
  @ApiProperty() name: string;
  @ApiProperty({ enum: SPAN_KINDS }) kind: SpanKind;
  @ApiProperty({ enum: SPAN_STATUSES }) status: SpanStatus;
  @ApiProperty({ ...ANY_JSON, nullable: true, description: 'Any JSON value.' }) input: unknown;
  @ApiProperty({ ...ANY_JSON, nullable: true, description: 'Any JSON value.' }) output: unknown;
  @ApiProperty({ nullable: true, type: String }) model: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) token_usage: Record<
    string,
    unknown
  > | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata: Record<string, unknown>;
  @ApiProperty({ description: TIMESTAMP }) started_at: string;
  @ApiProperty({ nullable: true, type: String, description: TIMESTAMP }) ended_at: string | null;
  @ApiProperty({ nullable: true, type: String }) error: string | null;
  @ApiProperty({ nullable: true, type: String, description: TIMESTAMP }) completion_start_time: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) model_parameters: Record<
    string,
    unknown
  > | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, nullable: true }) cost: Record<
    string,
    number
  > | null;
  @ApiProperty({ type: Number, nullable: true, description: 'ended_at − started_at in ms.' }) latency_ms: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'completion_start_time − started_at in ms.' })
  time_to_first_token_ms: number | null;
}

/** Fields shared by the list item and the full trace. */
class TraceCommonDto {
  @ApiProperty({ format: 'uuid' }) trace_id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: TRACE_STATUSES }) status: TraceStatus;
  @ApiProperty({ description: TIMESTAMP }) started_at: string;
  @ApiProperty({ nullable: true, type: String, description: TIMESTAMP }) ended_at: string | null;
  @ApiProperty({ nullable: true, type: String }) session_id: string | null;
  @ApiProperty({ nullable: true, type: String }) user_id: string | null;
  @ApiProperty({ type: [String] }) tags: string[];
  @ApiProperty({ nullable: true, type: String }) environment: string | null;
  @ApiProperty({ nullable: true, type: String }) release: string | null;
}

export class TraceListItemDto extends TraceCommonDto {
  @ApiProperty({ type: Number, nullable: true, description: 'ended_at − started_at in ms.' }) latency_ms: number | null;
  @ApiProperty({ type: 'integer' }) span_count: number;
  @ApiProperty({ type: 'integer', description: 'Σ prompt_tokens + completion_tokens over the spans.' })
  total_tokens: number;
  @ApiProperty({ description: 'Σ cost.total over the spans.' }) total_cost: number;
}

export class TraceResponseDto extends TraceCommonDto {
  @ApiProperty({ format: 'uuid' }) project_id: string;
  @ApiProperty({ ...ANY_JSON, nullable: true, description: 'Any JSON value.' }) input: unknown;
  @ApiProperty({ ...ANY_JSON, nullable: true, description: 'Any JSON value.' }) output: unknown;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata: Record<string, unknown>;
  @ApiProperty({ type: [SpanResponseDto], description: 'Ordered by started_at, then span_id.' })
  spans: SpanResponseDto[];
  @ApiProperty({ type: Number, nullable: true }) latency_ms: number | null;
  @ApiProperty({ type: 'integer' }) span_count: number;
  @ApiProperty({ type: 'integer' }) total_tokens: number;
  @ApiProperty() total_cost: number;
}

export class TraceListPageDto extends PageOf(TraceListItemDto) {}

export class TraceUserSummaryDto {
  @ApiProperty() user_id: string;
  @ApiProperty({ type: 'integer' }) trace_count: number;
  @ApiProperty({ description: TIMESTAMP }) first_seen: string;
  @ApiProperty({ description: TIMESTAMP }) last_seen: string;
  @ApiProperty({ type: 'integer', description: 'Traces with status ERROR.' }) error_count: number;
}

export class TraceUserPageDto extends PageOf(TraceUserSummaryDto) {}
