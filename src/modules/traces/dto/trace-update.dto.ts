import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, Length } from 'class-validator';
import { MAX_NAME_LENGTH, MAX_SHORT_TEXT_LENGTH, MAX_TAGS, TRACE_STATUSES, TraceStatus } from '../traces.constants';
import { AnyJson, OptionalJsonObject, OptionalShortText, OptionalTimestamp } from './field.decorators';

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

  @AnyJson('Any JSON value; null clears it.')
  input?: unknown;

  @AnyJson('Any JSON value; null clears it.')
  output?: unknown;

  @OptionalJsonObject({
    nullable: true,
    description: 'Merged into the stored metadata.',
  })
  metadata?: Record<string, unknown> | null;

  @OptionalTimestamp()
  ended_at?: string | null;

  @OptionalShortText()
  session_id?: string | null;

  @OptionalShortText()
  user_id?: string | null;

  @ApiPropertyOptional({ type: [String], maxItems: MAX_TAGS, nullable: true, description: 'Replaces the stored tags.' })
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
}
