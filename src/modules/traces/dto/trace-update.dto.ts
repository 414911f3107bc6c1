import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { MAX_NAME_LENGTH, MAX_SHORT_TEXT_LENGTH, MAX_TAGS, TRACE_STATUSES, TraceStatus } from '../traces.constants';
import { IsJsonObject, IsTimestamp } from './validators';
import { ANY_JSON } from './any-json.schema';

/**
 * Body of PATCH /traces/{trace_id}. Only the keys sent are applied; `null` clears a nullable field and
 * is ignored for `name`, `status`, `tags` and `metadata`. `tags` replaces the list; `metadata` is
 * merged key by key into the stored object.
 */
export class TraceUpdateDto {
  @ApiPropertyOptional({ type: String, minLength: 1, maxLength: MAX_NAME_LENGTH, nullable: true })
  @IsOptional()
  @IsString()
  @Length(1, MAX_NAME_LENGTH)
  name?: string | null;

  @ApiPropertyOptional({ enum: TRACE_STATUSES, nullable: true })
  @IsOptional()
  @IsIn(TRACE_STATUSES)
  status?: TraceStatus | null;

  @ApiPropertyOptional({ ...ANY_JSON, description: 'Any JSON value; null clears it.', nullable: true })
  @IsOptional()
  input?: unknown;

  @ApiPropertyOptional({ ...ANY_JSON, description: 'Any JSON value; null clears it.', nullable: true })
  @IsOptional()
  output?: unknown;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, description: 'Merged into the stored metadata.' })
  @IsOptional()
  @IsJsonObject()
  metadata?: Record<string, unknown> | null;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  @IsOptional()
  @IsTimestamp()
  ended_at?: string | null;

  @ApiPropertyOptional({ type: String, maxLength: MAX_SHORT_TEXT_LENGTH, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_SHORT_TEXT_LENGTH)
  session_id?: string | null;

  @ApiPropertyOptional({ type: String, maxLength: MAX_SHORT_TEXT_LENGTH, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_SHORT_TEXT_LENGTH)
  user_id?: string | null;

  @ApiPropertyOptional({ type: [String], maxItems: MAX_TAGS, nullable: true, description: 'Replaces the stored tags.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TAGS)
  @IsString({ each: true })
  @Length(1, MAX_SHORT_TEXT_LENGTH, { each: true })
  tags?: string[] | null;

  @ApiPropertyOptional({ type: String, maxLength: MAX_SHORT_TEXT_LENGTH, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_SHORT_TEXT_LENGTH)
  environment?: string | null;

  @ApiPropertyOptional({ type: String, maxLength: MAX_SHORT_TEXT_LENGTH, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_SHORT_TEXT_LENGTH)
  release?: string | null;
}
