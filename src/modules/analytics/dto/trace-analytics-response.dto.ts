import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

const BUCKET_DOC = {
  example: '2026-01-15T00:00:00+00:00',
  description: 'Start of the bucket: local time in the requested zone, with its offset.',
};

/** metric=volume|errors|latency: traces per bucket; latency adds its statistics (ms, traces with an end time). */
export class AnalyticsBucketDto {
  @ApiProperty(BUCKET_DOC) bucket: string;
  @ApiProperty({ type: 'integer', default: 0 }) trace_count: number;
  @ApiProperty({ type: 'integer', default: 0, description: 'Traces with status ERROR.' }) error_count: number;
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'metric=latency only.' })
  avg_latency_ms?: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'metric=latency only (interpolated).' })
  p50_latency_ms?: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'metric=latency only (interpolated).' })
  p90_latency_ms?: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'metric=latency only (interpolated).' })
  p99_latency_ms?: number | null;
}

/** metric=cost|tokens: sums over the spans of the traces started in the bucket. */
export class TokenCostBucketDto {
  @ApiProperty(BUCKET_DOC) bucket: string;
  @ApiProperty({ type: 'integer', default: 0, description: 'prompt_tokens + completion_tokens.' }) total_tokens: number;
  @ApiProperty({ type: 'integer', default: 0 }) prompt_tokens: number;
  @ApiProperty({ type: 'integer', default: 0 }) completion_tokens: number;
  @ApiProperty({ default: 0, description: 'Sum of cost.total.' }) total_cost: number;
}

/** metric=models: span models over the whole window, most called first. */
export class TopModelDto {
  @ApiProperty() model: string;
  @ApiProperty({ type: 'integer', description: 'Spans naming this model.' }) call_count: number;
  @ApiProperty({ type: 'integer', default: 0 }) total_tokens: number;
  @ApiProperty({ default: 0 }) total_cost: number;
}

export type TraceAnalyticsResponse = AnalyticsBucketDto[] | TokenCostBucketDto[] | TopModelDto[];
