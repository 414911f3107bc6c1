import { ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import { ListTraceScoresQuery } from './list-trace-scores.query.dto';

/** Query of GET /evaluations/session-scores: the original's filters (no data_type or environment there). */
export class ListSessionScoresQuery extends PickType(ListTraceScoresQuery, [
  'name',
  'source',
  'status',
  'eval_run_id',
  'date_from',
  'date_to',
  'limit',
  'offset',
] as const) {
  @ApiPropertyOptional({ description: 'Exact session id.' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  session_id?: string;
}
