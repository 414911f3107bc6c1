import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsNumber, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { PageOf, PaginationQueryDto } from '../../../common/dto/pagination.dto';
import { ScoreDataType } from '../entities/trace-score.entity';

/** Query of GET /evaluations/analytics/trace-scores/agreement. */
export class ScoreAgreementQuery extends PaginationQueryDto {
  @ApiProperty({
    description: 'Metric name: judge scores and human annotations of this name are compared.',
    example: 'task_completion',
  })
  @IsDefined()
  @IsString()
  @Length(1, 255)
  metric_name: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Only the judge scores of this eval run (default: each trace’s latest judge score).',
  })
  @IsOptional()
  @IsUUID('loose')
  eval_run_id?: string;

  @ApiPropertyOptional({
    description:
      "Only the judge scores of this metric version (a custom metric's version number, a built-in metric's prompt hash; `metadata.metric_version` of a score).",
    example: '2',
  })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  metric_version?: string;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 1,
    default: 0.5,
    description:
      'NUMERIC only: a value at or above it is a pass; the confusion matrix and the disagreements compare pass/fail.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  threshold?: number;
}

/** How many compared traces the judge labelled `judge` and people labelled `human`. */
export class AgreementCell {
  @ApiProperty({ example: 'pass' }) judge: string;
  @ApiProperty({ example: 'fail' }) human: string;
  @ApiProperty({ type: 'integer', example: 3 }) count: number;
}

/** A trace where the judge and people disagree. */
export class AgreementDisagreement {
  @ApiProperty({ format: 'uuid' }) trace_id: string;
  @ApiProperty({ format: 'uuid' }) judge_score_id: string;
  @ApiProperty({ format: 'uuid' }) human_score_id: string;
  @ApiProperty({ example: '0.8' }) judge_value: string;
  @ApiProperty({ example: '0.2' }) human_value: string;
  @ApiProperty({ example: 'pass', description: 'The value, or pass/fail at the threshold for NUMERIC.' })
  judge_label: string;
  @ApiProperty({ example: 'fail' }) human_label: string;
}

export class AgreementDisagreementPage extends PageOf(AgreementDisagreement) {}

/** Agreement of a metric's judge scores with people's annotations of the same name on the same traces. */
export class ScoreAgreementResponse {
  @ApiProperty({ example: 'task_completion' }) metric_name: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) eval_run_id: string | null;
  @ApiProperty({ type: String, nullable: true, example: '2' }) metric_version: string | null;
  @ApiProperty({
    enum: ScoreDataType,
    enumName: 'ScoreDataType',
    nullable: true,
    description:
      'The data type compared: that of most judge scores with an annotation of the same type. Null without pairs.',
  })
  data_type: ScoreDataType | null;
  @ApiProperty({ type: Number, nullable: true, example: 0.5, description: 'The pass line, for NUMERIC; else null.' })
  threshold: number | null;
  @ApiProperty({ type: 'integer', description: 'Traces compared (one judge score and one annotation each).' })
  n: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Share of compared traces with the same label.' })
  accuracy: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Cohen’s κ of the labels; null when undefined.' })
  cohen_kappa: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'NUMERIC: mean |judge − human|; else null.' })
  mean_absolute_error: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'NUMERIC: Spearman’s ρ (ties ranked by average); else null.',
  })
  spearman_rho: number | null;
  @ApiProperty({ type: [String], example: ['fail', 'pass'] }) labels: string[];
  @ApiProperty({ type: [AgreementCell] }) confusion_matrix: AgreementCell[];
  @ApiProperty({
    type: 'integer',
    description: 'Traces with both a judge score and an annotation whose data types differ: not compared.',
  })
  type_mismatch_count: number;
  @ApiProperty({ type: AgreementDisagreementPage }) disagreements: AgreementDisagreementPage;
}
