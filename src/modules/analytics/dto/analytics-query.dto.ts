import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsIn, IsOptional, registerDecorator, ValidationOptions } from 'class-validator';
import { IsTimestamp } from '../../traces/dto/validators';
import { DEFAULT_TIME_ZONE, GRANULARITIES, Granularity, isIanaTimeZone } from '../time-buckets';

export const TRACE_METRICS = ['volume', 'errors', 'latency', 'cost', 'tokens', 'models'] as const;
export type TraceMetric = (typeof TRACE_METRICS)[number];

/** The value must be an IANA time-zone name (`Europe/Berlin`); offsets and abbreviations are refused. */
export function IsIanaTimeZone(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isIanaTimeZone',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: '$property must be an IANA time-zone name such as Europe/Berlin', ...options },
      validator: { validate: (value: unknown) => isIanaTimeZone(value) },
    });
}

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

  @ApiProperty({ format: 'date-time', description: 'Traces with started_at ≥ this (inclusive).' })
  @IsDefined()
  @IsTimestamp()
  started_after: string;

  @ApiProperty({ format: 'date-time', description: 'Traces with started_at < this (exclusive).' })
  @IsDefined()
  @IsTimestamp()
  started_before: string;
}
