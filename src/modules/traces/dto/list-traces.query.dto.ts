import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import {
  MAX_NAME_LENGTH,
  SORT_ORDERS,
  SortOrder,
  TRACE_SORT_FIELDS,
  TRACE_STATUSES,
  TraceSortField,
  TraceStatus,
} from '../traces.constants';
import { IntegerQuery } from '../../../common/dto/query-fields';
import { ShortTextQuery, TagsQuery, TimestampQuery } from './query.decorators';

/** limit/offset as every list of the API takes them. */
export class PageQueryDto {
  @IntegerQuery({ minimum: 1, maximum: 200, default: 50 }, 1, 200)
  limit?: number;

  // Capped as in PaginationQueryDto: past 2^53 a number is rounded, not what was asked.
  @IntegerQuery({ minimum: 0, maximum: 1_000_000_000, default: 0 }, 0, 1_000_000_000)
  offset?: number;
}

/** Query of GET /traces. */
export class ListTracesQueryDto extends PageQueryDto {
  @ShortTextQuery('Exact match.')
  session_id?: string;

  @ApiPropertyOptional({ enum: TRACE_STATUSES })
  @IsOptional()
  @IsIn(TRACE_STATUSES)
  status?: TraceStatus;

  @ShortTextQuery('Exact match.')
  user_id?: string;

  @TagsQuery('Repeat the parameter (`tags=a&tags=b`); a trace matches when it has ANY of them.')
  tags?: string[];

  @ApiPropertyOptional({ description: 'Case-insensitive substring of the name; `%`, `_` and `\\` are literal.' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME_LENGTH)
  name?: string;

  @TimestampQuery('started_at ≥ this (inclusive).')
  started_after?: string;

  @TimestampQuery('started_at < this (exclusive).')
  started_before?: string;

  @ShortTextQuery('Exact match.')
  environment?: string;

  @ShortTextQuery('Exact match.')
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
