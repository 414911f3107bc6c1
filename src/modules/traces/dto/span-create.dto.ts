import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { MAX_NAME_LENGTH, SPAN_KINDS, SPAN_STATUSES, SpanKind, SpanStatus } from '../traces.constants';
import { IsNumberRecord, IsTimestamp } from './validators';
import { AnyJson, OptionalJsonObject, OptionalShortText, OptionalTimestamp } from './field.decorators';

/** One span as sent inside POST /traces or in the array of POST /traces/{trace_id}/spans. */
export class SpanCreateDto {
  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    description: 'Client-chosen id, unique within its trace; generated when absent.',
  })
  @IsOptional()
  @IsUUID('loose')
  span_id?: string | null;

  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'Parent span; may name a span later in the array.',
  })
  @IsOptional()
  @IsUUID('loose')
  parent_span_id?: string | null;

  @ApiProperty({ minLength: 1, maxLength: MAX_NAME_LENGTH })
  @IsString()
  @Length(1, MAX_NAME_LENGTH)
  name: string;

  @ApiPropertyOptional({ enum: SPAN_KINDS, default: 'OTHER' })
  @IsOptional()
  @IsIn(SPAN_KINDS)
  kind?: SpanKind | null;

  @ApiPropertyOptional({ enum: SPAN_STATUSES, default: 'UNSET' })
  @IsOptional()
  @IsIn(SPAN_STATUSES)
  status?: SpanStatus | null;

  @AnyJson('Any JSON value.')
  input?: unknown;

  @AnyJson('Any JSON value.')
  output?: unknown;

  @OptionalShortText()
  model?: string | null;

  @OptionalJsonObject({
    nullable: true,
    description: 'Token counts; totals read `prompt_tokens` and `completion_tokens`.',
    example: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
  })
  token_usage?: Record<string, unknown> | null;

  @OptionalJsonObject({ default: {} })
  metadata?: Record<string, unknown> | null;

  @ApiProperty({ format: 'date-time', description: 'ISO-8601; without an offset it is UTC.' })
  @IsTimestamp()
  started_at: string;

  @OptionalTimestamp()
  ended_at?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true })
  @IsOptional()
  @IsString()
  error?: string | null;

  @OptionalTimestamp('First token received (LLM spans).')
  completion_start_time?: string | null;

  @OptionalJsonObject({ nullable: true })
  model_parameters?: Record<string, unknown> | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'number' },
    nullable: true,
    description: 'Costs by component; totals read `total`.',
    example: { input: 0.001, output: 0.002, total: 0.003 },
  })
  @IsOptional()
  @IsNumberRecord()
  cost?: Record<string, number> | null;
}
