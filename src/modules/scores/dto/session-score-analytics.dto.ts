import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { PaginationQueryDto } from '../../../common/dto/pagination.dto';
import { IsDefined, IsIn, IsOptional, IsString, Length } from 'class-validator';
import { IntegerQuery } from '../../../common/dto/query-fields';

/** Path of the routes about one session. Session ids are client labels: any string of 1 to 255 characters. */
export class SessionIdParams {
  @ApiProperty({ minLength: 1, maxLength: 255 })
  @IsString()
  @Length(1, 255)
  session_id: string;
}

/** Query of GET /evaluations/analytics/session-scores/history/{session_id}: `limit` keeps the newest points. */
export class SessionScoreHistoryQuery extends PickType(PaginationQueryDto, ['limit'] as const) {
  @ApiPropertyOptional({ description: 'Only this metric.' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  metric_name?: string;
}

/** One evaluation of a session: a point of its score history. */
export class SessionScoreHistoryItem {
  @ApiProperty() metric_name: string;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'The value when the score is a successful number in [0, 1]; otherwise null.',
  })
  score: number | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) eval_run_id: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) created_at: string | null;
  @ApiProperty({ enum: ['SUCCESS', 'FAILED', 'PENDING'] }) status: string;
}

export const COMPARISON_SORT_ORDERS = ['asc', 'desc'] as const;
export type ComparisonSortOrder = (typeof COMPARISON_SORT_ORDERS)[number];

/** Query of GET /evaluations/analytics/session-scores/comparison: a page of at most 100 sessions. */
export class SessionScoreComparisonQuery extends PickType(PaginationQueryDto, ['offset'] as const) {
  @ApiProperty({ description: 'Metric name to rank sessions by.', example: 'agent_reliability' })
  @IsDefined()
  @IsString()
  @Length(1, 255)
  metric_name: string;

  @ApiPropertyOptional({
    enum: COMPARISON_SORT_ORDERS,
    default: 'asc',
    description: 'asc: worst first; desc: best first. Sessions without a numeric latest score come last either way.',
  })
  @IsOptional()
  @IsIn(COMPARISON_SORT_ORDERS)
  sort_order: ComparisonSortOrder = 'asc';

  @IntegerQuery({ type: 'integer', minimum: 1, maximum: 100, default: 20 }, 1, 100)
  limit: number = 20;
}

/** A session's latest score of the metric. */
export class SessionComparisonItem {
  @ApiProperty() session_id: string;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'The value when the latest score is a successful number in [0, 1]; otherwise null.',
  })
  score: number | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the latest score was made.' })
  evaluated_at: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) eval_run_id: string | null;
}
