import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { RequiredTimestampQuery } from '../../traces/dto/query.decorators';
import { valueValidator } from '../../traces/dto/validators';
import { DEFAULT_TIME_ZONE, GRANULARITIES, Granularity, isIanaTimeZone } from '../time-buckets';

export const TRACE_METRICS = ['volume', 'errors', 'latency', 'cost', 'tokens', 'models'] as const;
export type TraceMetric = (typeof TRACE_METRICS)[number];

/** The value must be an IANA time-zone name (`Europe/Berlin`); offsets and abbreviations are refused. */
export const IsIanaTimeZone = valueValidator(
  'isIanaTimeZone',
  '$property must be an IANA time-zone name such as Europe/Berlin',
  isIanaTimeZone,
);

/** `granularity` and `tz`, as every time-series endpoint takes them. */
export class BucketingQuery {
  @ApiPropertyOptional({ enum: GRANULARITIES, enumName: 'AnalyticsGranularity', default: 'day' })
  @IsOptional()
  @IsIn(GRANULARITIES)
  granularity?: Granularity;

  @ApiPropertyOptional({
    default: DEFAULT_TIME_ZONE,
    example: 'Europe/Berlin',
    description: 'IANA time zone whose local midnight starts day and week buckets (and whose offset aligns hours).',
  })
  @IsOptional()
  @IsIanaTimeZone()
  tz?: string;
}

/** Query of GET /traces/analytics. */
export class TraceAnalyticsQuery extends BucketingQuery {
  @ApiPropertyOptional({ enum: TRACE_METRICS, enumName: 'AnalyticsMetric', default: 'volume' })
  @IsOptional()
  @IsIn(TRACE_METRICS)
  metric?: TraceMetric;

  @RequiredTimestampQuery('Traces with started_at ≥ this (inclusive).')
  started_after: string;

  @RequiredTimestampQuery('Traces with started_at < this (exclusive).')
  started_before: string;
}
