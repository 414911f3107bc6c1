import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { MAX_NAME_LENGTH, SPAN_KINDS, SPAN_STATUSES, SpanKind, SpanStatus } from '../traces.constants';
import { IsNumberRecord } from './validators';
import { AnyJson, OptionalJsonObject, OptionalShortText, OptionalTimestamp } from './field.decorators';

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

  @AnyJson('Any JSON value; null clears it.')
  input?: unknown;

  @AnyJson('Any JSON value; null clears it.')
  output?: unknown;

  @OptionalShortText()
  model?: string | null;

  @OptionalJsonObject({ nullable: true })
  token_usage?: Record<string, unknown> | null;

  @OptionalJsonObject({
    nullable: true,
    description: 'Merged into the stored metadata.',
  })
  metadata?: Record<string, unknown> | null;

  @OptionalTimestamp()
  ended_at?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true })
  @IsOptional()
  @IsString()
  error?: string | null;

  @OptionalTimestamp()
  completion_start_time?: string | null;

  @OptionalJsonObject({ nullable: true })
  model_parameters?: Record<string, unknown> | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'number' }, nullable: true })
  @IsOptional()
  @IsNumberRecord()
  cost?: Record<string, number> | null;
}
