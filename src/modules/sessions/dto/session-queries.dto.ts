import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { BucketingQuery } from '../../analytics/dto/analytics-query.dto';
import { PageQueryDto } from '../../traces/dto/list-traces.query.dto';
import { RequiredTimestampQuery, ShortTextQuery, TagsQuery, TimestampQuery } from '../../traces/dto/query.decorators';
import { MAX_SHORT_TEXT_LENGTH, SORT_ORDERS, SortOrder } from '../../traces/traces.constants';
import {
  SESSION_SORT_FIELDS,
  SESSION_TRACES_DEFAULT_LIMIT,
  SESSION_TRACES_MAX_LIMIT,
  SessionSortField,
} from '../sessions.constants';
import { toQueryBoolean } from '../../../common/validation/query-boolean';
import { IntegerQuery } from '../../../common/dto/query-fields';

/** `{session_id}` in the path: a session id as ingestion accepts it (at most 255 characters). */
export class SessionIdParams {
  @ApiProperty({ maxLength: MAX_SHORT_TEXT_LENGTH })
  @IsString()
  @MaxLength(MAX_SHORT_TEXT_LENGTH)
  session_id: string;
}

/** Query of GET /sessions. Every filter selects whole sessions; the aggregates always cover all their traces. */
export class ListSessionsQueryDto extends PageQueryDto {
  @ShortTextQuery('Sessions with at least one trace of this user (exact match).')
  user_id?: string;

  @ApiPropertyOptional({ type: Boolean, description: 'Sessions with (true) or without (false) an ERROR trace.' })
  @IsOptional()
  @Transform(toQueryBoolean)
  @IsBoolean()
  has_error?: boolean;

  @TimestampQuery('Sessions whose first trace started at or after this.')
  started_after?: string;

  @TimestampQuery('Sessions whose first trace started before this.')
  started_before?: string;

  @TagsQuery('Repeat the parameter (`tags=a&tags=b`); a session matches when any of its traces has ANY of them.')
  tags?: string[];

  @ShortTextQuery('Case-insensitive substring of the session id (ILIKE); `%`, `_` and `\\` are literal.')
  query?: string;

  @ApiPropertyOptional({ enum: SESSION_SORT_FIELDS, enumName: 'SessionSortBy', default: 'recent' })
  @IsOptional()
  @IsIn(SESSION_SORT_FIELDS)
  sort_by?: SessionSortField;

  @ApiPropertyOptional({ enum: SORT_ORDERS, enumName: 'SortOrder', default: 'desc' })
  @IsOptional()
  @IsIn(SORT_ORDERS)
  sort_order?: SortOrder;
}

/** Query of GET /sessions/{session_id}: a page of the session's traces, oldest first. */
export class SessionTracesPageDto {
  @IntegerQuery(
    { minimum: 1, maximum: SESSION_TRACES_MAX_LIMIT, default: SESSION_TRACES_DEFAULT_LIMIT },
    1,
    SESSION_TRACES_MAX_LIMIT,
  )
  limit?: number;

  @IntegerQuery({ minimum: 0, maximum: 1_000_000_000, default: 0 }, 0, 1_000_000_000)
  offset?: number;
}

/** Query of GET /sessions/analytics. */
export class SessionAnalyticsQueryDto extends BucketingQuery {
  @RequiredTimestampQuery('Sessions whose first trace started at or after this.')
  started_after: string;

  @RequiredTimestampQuery('Sessions whose first trace started before this.')
  started_before: string;
}
