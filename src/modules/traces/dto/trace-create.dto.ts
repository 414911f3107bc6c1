import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, IsUUID, Length, ValidateNested } from 'class-validator';
import {
  MAX_NAME_LENGTH,
  MAX_SHORT_TEXT_LENGTH,
  MAX_SPANS_PER_REQUEST,
  MAX_TAGS,
  TRACE_STATUSES,
  TraceStatus,
} from '../traces.constants';
import { SpanCreateDto } from './span-create.dto';
import { IsTimestamp } from './validators';
import { AnyJson, OptionalJsonObject, OptionalShortText, OptionalTimestamp } from './field.decorators';

/** Body of POST /traces: one whole trace with its spans embedded. */
export class TraceCreateDto {
  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    description: 'Client-chosen id; generated when absent. Re-posting it merges.',
  })
  @IsOptional()
  @IsUUID('loose')
  trace_id?: string | null;

  @ApiProperty({ minLength: 1, maxLength: MAX_NAME_LENGTH })
  @IsString()
  @Length(1, MAX_NAME_LENGTH)
  name: string;

  @ApiPropertyOptional({ enum: TRACE_STATUSES, default: 'COMPLETED' })
  @IsOptional()
  @IsIn(TRACE_STATUSES)
  status?: TraceStatus | null;

  @AnyJson('Any JSON value.')
  input?: unknown;

  @AnyJson('Any JSON value.')
  output?: unknown;

  @OptionalJsonObject({ default: {} })
  metadata?: Record<string, unknown> | null;

  @ApiProperty({ format: 'date-time', description: 'ISO-8601; without an offset it is UTC.' })
  @IsTimestamp()
  started_at: string;

  @OptionalTimestamp()
  ended_at?: string | null;

  @OptionalShortText()
  session_id?: string | null;

  @OptionalShortText()
  user_id?: string | null;

  @ApiPropertyOptional({ type: [String], maxItems: MAX_TAGS, default: [] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TAGS)
  @IsString({ each: true })
  @Length(1, MAX_SHORT_TEXT_LENGTH, { each: true })
  tags?: string[] | null;

  @OptionalShortText()
  environment?: string | null;

  @OptionalShortText()
  release?: string | null;

  @ApiPropertyOptional({ type: [SpanCreateDto], maxItems: MAX_SPANS_PER_REQUEST, default: [] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_SPANS_PER_REQUEST)
  @ValidateNested({ each: true })
  @Type(() => SpanCreateDto)
  spans?: SpanCreateDto[] | null;
}
