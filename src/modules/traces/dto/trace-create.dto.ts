import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsOptional, ValidateNested } from 'class-validator';
import { MAX_SPANS_PER_REQUEST, TRACE_STATUSES, TraceStatus } from '../traces.constants';
import { SpanCreateDto } from './span-create.dto';
import { withTraceTail } from './shared-tails';
import {
  AnyJson,
  OptionalClientId,
  OptionalJsonObject,
  OptionalOneOf,
  RequiredName,
  RequiredTimestamp,
} from './field.decorators';

/** POST /traces up to started_at. */
class TraceCreateHead {
  @OptionalClientId({ description: 'Client-chosen id; generated when absent. Re-posting it merges.' })
  trace_id?: string | null;

  @RequiredName()
  name: string;

  @OptionalOneOf(TRACE_STATUSES, { default: 'COMPLETED' })
  status?: TraceStatus | null;

  @AnyJson('Any JSON value.')
  input?: unknown;

  @AnyJson('Any JSON value.')
  output?: unknown;

  @OptionalJsonObject({ default: {} })
  metadata?: Record<string, unknown> | null;

  @RequiredTimestamp()
  started_at: string;
}

class TraceCreateFields extends withTraceTail(TraceCreateHead, { default: [] }) {
  @ApiPropertyOptional({ type: [SpanCreateDto], maxItems: MAX_SPANS_PER_REQUEST, default: [] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_SPANS_PER_REQUEST)
  @ValidateNested({ each: true })
  @Type(() => SpanCreateDto)
  spans?: SpanCreateDto[] | null;
}

/** Body of POST /traces: one whole trace with its spans embedded. Declares no fields of its own (see shared-tails). */
export class TraceCreateDto extends TraceCreateFields {}
