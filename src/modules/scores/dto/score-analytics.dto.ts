import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { BucketingQuery } from '../../analytics/dto/analytics-query.dto';
import { ScoreSummaryQuery } from './score-summary.dto';

/** The metric a score chart is about. */
class MetricNameQuery {
  @ApiProperty({ description: 'Metric name (the score name).', example: 'helpfulness' })
  @IsDefined()
  @IsString()
  @Length(1, 255)
  metric_name: string;

  @ApiPropertyOptional({
    description:
      "Ours: only scores of this metric version (`metadata.metric_version`: a custom metric's version number, a built-in metric's prompt hash). Read from the scores themselves rather than the rollups.",
    example: '2',
  })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  metric_version?: string;
}

/** Query of GET /evaluations/analytics/trace-scores/trend. Without dates, the window spans the metric's scores. */
export class ScoreTrendQuery extends IntersectionType(MetricNameQuery, ScoreSummaryQuery, BucketingQuery) {}

/** Query of GET /evaluations/analytics/trace-scores/distribution. */
export class ScoreDistributionQuery extends IntersectionType(MetricNameQuery, ScoreSummaryQuery) {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 100,
    default: 10,
    description: 'Number of histogram buckets.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  buckets?: number;
}

/** One bucket of a metric's trend: the average of its numeric scores (successful, in [0, 1]). */
export class ScoreTrendItem {
  @ApiProperty({
    type: String,
    example: '2026-01-15T00:00:00+00:00',
    description: 'Bucket start, local time with offset.',
  })
  bucket: string;
  @ApiProperty() metric_name: string;
  @ApiProperty({ description: 'Average of the bucket’s scores; 0 when count is 0 (an empty bucket).' })
  avg_score: number;
  @ApiProperty({ type: 'integer' }) count: number;
}

/** One histogram bucket: [bucket_min, bucket_max), the last one closed so 1.0 falls in it. */
export class ScoreDistributionItem {
  @ApiProperty({ type: 'integer', description: '1 to buckets.' }) bucket: number;
  @ApiProperty() bucket_min: number;
  @ApiProperty() bucket_max: number;
  @ApiProperty({ type: 'integer' }) count: number;
  @ApiProperty({
    type: 'integer',
    description:
      'Successful scores of the metric that are not a number in [0, 1] (BOOLEAN, CATEGORICAL or odd stored ' +
      'values), left out of every bucket. The same on every item.',
  })
  non_numeric_count: number;
}
