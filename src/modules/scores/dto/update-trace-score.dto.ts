import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsJsonObject } from '../../traces/dto/validators';
import { MAX_SCORE_VALUE_LENGTH } from '../score-value';

/** Body of PATCH /evaluations/trace-scores/{score_id}. A missing or null field is left unchanged. */
export class UpdateTraceScoreRequest {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: MAX_SCORE_VALUE_LENGTH,
    example: '0.9',
    description: "Checked against the score's data_type.",
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_SCORE_VALUE_LENGTH)
  value?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true })
  @IsOptional()
  @IsString()
  reason?: string | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'Replaces the stored metadata (no merge).',
  })
  @IsOptional()
  @IsJsonObject()
  metadata?: Record<string, unknown> | null;
}
