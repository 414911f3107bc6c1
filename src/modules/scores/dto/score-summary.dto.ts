import { ApiProperty, PickType } from '@nestjs/swagger';
import { ListTraceScoresQuery } from './list-trace-scores.query.dto';

/** Query of GET /evaluations/analytics/trace-scores/summary: the created_at window of the list. */
export class ScoreSummaryQuery extends PickType(ListTraceScoresQuery, ['date_from', 'date_to'] as const) {}

/**
 * Aggregates of one metric's scores, of any data type (as the original). The statistics cover
 * successful NUMERIC scores with a number in [0, 1] only: null for a BOOLEAN or CATEGORICAL metric.
 */
export class ScoreSummaryItem {
  @ApiProperty() metric_name: string;
  @ApiProperty({ type: Number, nullable: true }) avg_score: number | null;
  @ApiProperty({ type: Number, nullable: true }) min_score: number | null;
  @ApiProperty({ type: Number, nullable: true }) max_score: number | null;
  @ApiProperty({ type: Number, nullable: true }) median_score: number | null;
  @ApiProperty({ type: 'integer', description: 'Successful scores, of any data type.' })
  success_count: number;
  @ApiProperty({ type: 'integer', description: 'Failed scores, of any data type.' }) failed_count: number;
  @ApiProperty({ format: 'date-time' }) latest_score_at: string;
  @ApiProperty({
    type: 'integer',
    description:
      'Successful scores left out of the statistics: BOOLEAN and CATEGORICAL ones, and NUMERIC ones whose value is not a number in [0, 1].',
  })
  non_numeric_count: number;
}
