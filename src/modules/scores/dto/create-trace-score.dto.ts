import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsEnum, IsIn, IsOptional, IsString, IsUUID, Length, MaxLength } from 'class-validator';
import { ScoreDataType, ScoreSource } from '../entities/trace-score.entity';
import { IsJsonObject } from '../../traces/dto/validators';
import { MAX_SCORE_VALUE_LENGTH } from '../score-value';

/** Sources a client may write; AUTOMATED scores come from eval runs only. */
export const MANUAL_SCORE_SOURCES = [ScoreSource.ANNOTATION, ScoreSource.PROGRAMMATIC] as const;
export type ManualScoreSource = (typeof MANUAL_SCORE_SOURCES)[number];

/** Body of POST /evaluations/trace-scores: a human annotation or a score computed by the caller. */
export class CreateTraceScoreRequest {
  @ApiProperty({ format: 'uuid', description: 'A trace of this project.' })
  @IsUUID('loose')
  trace_id: string;

  @ApiProperty({ minLength: 1, maxLength: 255, example: 'accuracy', description: 'Metric name or a custom label.' })
  @IsString()
  @Length(1, 255)
  name: string;

  @ApiProperty({
    maxLength: MAX_SCORE_VALUE_LENGTH,
    example: '0.85',
    description:
      'Always a string. NUMERIC: a number in [0, 1]; BOOLEAN: `true` or `false` (any case); CATEGORICAL: any label.',
  })
  @IsDefined()
  @IsString()
  @MaxLength(MAX_SCORE_VALUE_LENGTH)
  value: string;

  @ApiPropertyOptional({ enum: ScoreDataType, enumName: 'ScoreDataType', default: ScoreDataType.NUMERIC })
  @IsOptional()
  @IsEnum(ScoreDataType)
  data_type?: ScoreDataType;

  @ApiPropertyOptional({ enum: MANUAL_SCORE_SOURCES, default: ScoreSource.ANNOTATION })
  @IsOptional()
  @IsIn(MANUAL_SCORE_SOURCES, {
    message: 'source must be ANNOTATION or PROGRAMMATIC (AUTOMATED scores come from eval runs)',
  })
  source?: ManualScoreSource;

  @ApiPropertyOptional({ type: String, nullable: true })
  @IsOptional()
  @IsString()
  reason?: string | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true })
  @IsOptional()
  @IsJsonObject()
  metadata?: Record<string, unknown> | null;
}
