import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsTimestamp } from '../../traces/dto/validators';

/** Query of GET /evaluations/analytics/trace-scores/summary. */
export class ScoreSummaryQuery {
  @ApiPropertyOptional({ format: 'date-time', description: 'created_at ≥ this (inclusive).' })
  @IsOptional()
  @IsTimestamp()
  date_from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'created_at < this (exclusive).' })
  @IsOptional()
  @IsTimestamp()
  date_to?: string;
}

/** Aggregates of one metric's NUMERIC scores. The statistics cover successful scores only. */
export class TraceScoreSummaryResponse {
  @ApiProperty() metric_name: string;
  @ApiProperty({ type: Number, nullable: true }) avg_score: number | null;
  @ApiProperty({ type: Number, nullable: true }) min_score: number | null;
  @ApiProperty({ type: Number, nullable: true }) max_score: number | null;
  @ApiProperty({ type: Number, nullable: true }) median_score: number | null;
  @ApiProperty({ type: 'integer' }) success_count: number;
  @ApiProperty({ type: 'integer' }) failed_count: number;
  @ApiProperty({ format: 'date-time' }) latest_score_at: string;
}
