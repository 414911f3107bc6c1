import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsEnum, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PaginationQueryDto } from '../../../common/dto/pagination.dto';
import { ScoreDataType, ScoreSource, ScoreStatus } from '../entities/trace-score.entity';
import { IsTimestamp } from '../../traces/dto/validators';

/** Query of GET /evaluations/trace-scores. Every filter is optional; they combine with AND. */
export class ListTraceScoresQuery extends PaginationQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('loose')
  trace_id?: string;

  @ApiPropertyOptional({ description: 'Exact metric name.' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  name?: string;

  @ApiPropertyOptional({ enum: ScoreSource, enumName: 'ScoreSource' })
  @IsOptional()
  @IsEnum(ScoreSource)
  source?: ScoreSource;

  @ApiPropertyOptional({ enum: ScoreStatus, enumName: 'ScoreStatus' })
  @IsOptional()
  @IsEnum(ScoreStatus)
  status?: ScoreStatus;

  @ApiPropertyOptional({ enum: ScoreDataType, enumName: 'ScoreDataType' })
  @IsOptional()
  @IsEnum(ScoreDataType)
  data_type?: ScoreDataType;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('loose')
  eval_run_id?: string;

  @ApiPropertyOptional({ description: 'Exact match.' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  environment?: string;

  @ApiPropertyOptional({
    description:
      "Scores of this metric version only (`metadata.metric_version`: a custom metric's version number, a built-in metric's prompt hash).",
    example: '2',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  metric_version?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'created_at ≥ this (inclusive).' })
  @IsOptional()
  @IsTimestamp()
  date_from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'created_at < this (exclusive).' })
  @IsOptional()
  @IsTimestamp()
  date_to?: string;
}
