import { ApiProperty, PickType } from '@nestjs/swagger';
import { ListTraceScoresQuery } from './list-trace-scores.query.dto';

/** Query of GET /evaluations/analytics/trace-scores/summary: the created_at window of the list. */
export class ScoreSummaryQuery extends PickType(ListTraceScoresQuery, ['date_from', 'date_to'] as const) {}

/** Aggregates of one metric's NUMERIC scores. The statistics cover successful scores with a numeric value only. */
export class ScoreSummaryItem {
  @ApiProperty() metric_name: string;
  @ApiProperty({ type: Number, nullable: true }) avg_score: number | null;
  @ApiProperty({ type: Number, nullable: true }) min_score: number | null;
  @ApiProperty({ type: Number, nullable: true }) max_score: number | null;
  @ApiProperty({ type: Number, nullable: true }) median_score: number | null;
  @ApiProperty({ type: 'integer', description: 'Successful scores whose value is a number in [0, 1].' })
  success_count: number;
  @ApiProperty({ type: 'integer' }) failed_count: number;
  @ApiProperty({ format: 'date-time' }) latest_score_at: string;
  @ApiProperty({
    type: 'integer',
    description: 'Successful scores whose stored value is not a number in [0, 1]: left out of the statistics.',
  })
  non_numeric_count: number;
}
