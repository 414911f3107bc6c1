import { ApiPropertyOptional, ApiPropertyOptions } from '@nestjs/swagger';
import { IsEnum, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { stacked } from '../../../common/decorators';
import { PaginationQueryDto } from '../../../common/dto/pagination.dto';
import { ScoreDataType, ScoreSource, ScoreStatus } from '../entities/trace-score.entity';
import { TimestampQuery } from '../../traces/dto/query.decorators';

/** The kinds of filter this list takes; each is optional. */
const UuidFilter = () => stacked(ApiPropertyOptional({ format: 'uuid' }), IsOptional(), IsUUID('loose'));
const ScoreEnumFilter = (values: Record<string, string>, enumName: string) =>
  stacked(ApiPropertyOptional({ enum: values, enumName }), IsOptional(), IsEnum(values));
const TextFilter = (schema: ApiPropertyOptions, maxLength = 255) =>
  stacked(ApiPropertyOptional(schema), IsOptional(), IsString(), MaxLength(maxLength));

/** Query of GET /evaluations/trace-scores. Every filter is optional; they combine with AND. */
export class ListTraceScoresQuery extends PaginationQueryDto {
  @UuidFilter()
  trace_id?: string;

  @TextFilter({ description: 'Exact metric name.' })
  name?: string;

  @ScoreEnumFilter(ScoreSource, 'ScoreSource')
  source?: ScoreSource;

  @ScoreEnumFilter(ScoreStatus, 'ScoreStatus')
  status?: ScoreStatus;

  @ScoreEnumFilter(ScoreDataType, 'ScoreDataType')
  data_type?: ScoreDataType;

  @UuidFilter()
  eval_run_id?: string;

  @TextFilter({ description: 'Exact match.' })
  environment?: string;

  @TextFilter(
    {
      description:
        "Scores of this metric version only (`metadata.metric_version`: a custom metric's version number, a built-in metric's prompt hash).",
      example: '2',
    },
    64,
  )
  metric_version?: string;

  @TimestampQuery('created_at ≥ this (inclusive).')
  date_from?: string;

  @TimestampQuery('created_at < this (exclusive).')
  date_to?: string;
}
