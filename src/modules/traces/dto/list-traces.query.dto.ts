import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import {
  MAX_NAME_LENGTH,
  MAX_SHORT_TEXT_LENGTH,
  MAX_TAGS,
  SORT_ORDERS,
  SortOrder,
  TRACE_SORT_FIELDS,
  TRACE_STATUSES,
  TraceSortField,
  TraceStatus,
} from '../traces.constants';
import { IsTimestamp } from './validators';

/** limit/offset as every list of the API takes them. */
export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  // Capped as in PaginationQueryDto: past 2^53 a number is rounded, not what was asked.
  @ApiPropertyOptional({ minimum: 0, maximum: 1_000_000_000, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  offset?: number;
}

/** Query of GET /traces. */
export class ListTracesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Exact match.' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_SHORT_TEXT_LENGTH)
  session_id?: string;

  @ApiPropertyOptional({ enum: TRACE_STATUSES })
  @IsOptional()
  @IsIn(TRACE_STATUSES)
  status?: TraceStatus;

  @ApiPropertyOptional({ description: 'Exact match.' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_SHORT_TEXT_LENGTH)
  user_id?: string;

  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_TAGS,
    description: 'Repeat the parameter (`tags=a&tags=b`); a trace matches when it has ANY of them.',
  })
  @IsOptional()
  @Transform(({ value }) => (value === undefined || Array.isArray(value) ? value : [value]))
  @IsArray()
  @ArrayMaxSize(MAX_TAGS)
  @IsString({ each: true })
  tags?: string[];

  @ApiPropertyOptional({ description: 'Case-insensitive substring of the name; `%`, `_` and `\\` are literal.' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME_LENGTH)
  name?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'started_at ≥ this (inclusive).' })
  @IsOptional()
  @IsTimestamp()
  started_after?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'started_at < this (exclusive).' })
  @IsOptional()
  @IsTimestamp()
  started_before?: string;

  @ApiPropertyOptional({ description: 'Exact match.' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_SHORT_TEXT_LENGTH)
  environment?: string;

  @ApiPropertyOptional({ description: 'Exact match.' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_SHORT_TEXT_LENGTH)
  release?: string;

  @ApiPropertyOptional({ enum: TRACE_SORT_FIELDS, default: 'started_at' })
  @IsOptional()
  @IsIn(TRACE_SORT_FIELDS)
  sort_by?: TraceSortField;

  @ApiPropertyOptional({ enum: SORT_ORDERS, default: 'desc' })
  @IsOptional()
  @IsIn(SORT_ORDERS)
  sort_order?: SortOrder;
}
