import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import {
  MAX_NAME_LENGTH,
  MAX_SHORT_TEXT_LENGTH,
  SPAN_KINDS,
  SPAN_STATUSES,
  SpanKind,
  SpanStatus,
} from '../traces.constants';
import { IsJsonObject, IsNumberRecord, IsTimestamp } from './validators';
import { ANY_JSON } from './any-json.schema';

/**
 * Body of PATCH /traces/{trace_id}/spans/{span_id}. Only the keys sent are applied; `null` clears a
 * nullable field and is ignored for `name`, `kind`, `status` and `metadata`; `metadata` is merged.
 * `started_at` cannot be changed.
 */
export class SpanUpdateDto {
  @ApiPropertyOptional({ type: String, minLength: 1, maxLength: MAX_NAME_LENGTH, nullable: true })
  @IsOptional()
  @IsString()
  @Length(1, MAX_NAME_LENGTH)
  name?: string | null;

  @ApiPropertyOptional({ enum: SPAN_KINDS, nullable: true })
  @IsOptional()
  @IsIn(SPAN_KINDS)
  kind?: SpanKind | null;

  @ApiPropertyOptional({ enum: SPAN_STATUSES, nullable: true })
  @IsOptional()
  @IsIn(SPAN_STATUSES)
  status?: SpanStatus | null;

  @ApiPropertyOptional({ ...ANY_JSON, description: 'Any JSON value; null clears it.', nullable: true })
  @IsOptional()
  input?: unknown;

  @ApiPropertyOptional({ ...ANY_JSON, description: 'Any JSON value; null clears it.', nullable: true })
  @IsOptional()
  output?: unknown;

  @ApiPropertyOptional({ type: String, maxLength: MAX_SHORT_TEXT_LENGTH, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_SHORT_TEXT_LENGTH)
  model?: string | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true })
  @IsOptional()
  @IsJsonObject()
  token_usage?: Record<string, unknown> | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, description: 'Merged into the stored metadata.' })
  @IsOptional()
  @IsJsonObject()
  metadata?: Record<string, unknown> | null;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  @IsOptional()
  @IsTimestamp()
  ended_at?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true })
  @IsOptional()
  @IsString()
  error?: string | null;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  @IsOptional()
  @IsTimestamp()
  completion_start_time?: string | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true })
  @IsOptional()
  @IsJsonObject()
  model_parameters?: Record<string, unknown> | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'number' }, nullable: true })
  @IsOptional()
  @IsNumberRecord()
  cost?: Record<string, number> | null;
}
