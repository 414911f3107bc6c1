import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsUUID, Min, ValidateNested } from 'class-validator';
import { CustomMetricDefinitionDto } from './custom-metric.dto';

/** Body of POST /evaluations/custom-metrics/{name}/preview. */
export class PreviewSavedRequest {
  @ApiProperty({ format: 'uuid', description: 'A trace of this project.' })
  @IsUUID('loose')
  trace_id: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, description: 'Default: the latest version.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  version?: number;

  @ApiPropertyOptional({ default: false, description: 'Also ask the judge once (no score is stored).' })
  @IsOptional()
  @IsBoolean()
  judge?: boolean;
}

/** Body of POST /evaluations/custom-metrics/preview: a rubric tried before it is saved. */
export class PreviewDraftRequest {
  @ApiProperty({ format: 'uuid', description: 'A trace of this project.' })
  @IsUUID('loose')
  trace_id: string;

  @ApiProperty({ type: CustomMetricDefinitionDto })
  @ValidateNested()
  @Type(() => CustomMetricDefinitionDto)
  definition: CustomMetricDefinitionDto;

  @ApiPropertyOptional({ default: false, description: 'Also ask the judge once (no score is stored).' })
  @IsOptional()
  @IsBoolean()
  judge?: boolean;
}

export class PreviewJudgement {
  @ApiProperty({ enum: ['NUMERIC', 'BOOLEAN', 'CATEGORICAL'], example: 'BOOLEAN' }) data_type: string;
  @ApiProperty({ example: 'false', description: 'As a score would carry it: always a string.' }) value: string;
  @ApiProperty({ example: false }) success: boolean;
  @ApiProperty({ type: String, nullable: true, example: 'The order was 40 days old.' }) reason: string | null;
  @ApiProperty({ example: 'openai/gpt-4o-mini' }) model: string;
  @ApiProperty({ type: 'integer', example: 1 }) calls: number;
  @ApiProperty({ type: 'integer', nullable: true, example: 812 }) input_tokens: number | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 41 }) output_tokens: number | null;
}

/** What the judge would be sent for this trace, and (with judge: true) what it answered. */
export class PreviewResponse {
  @ApiProperty({ type: String, nullable: true, example: 'refund_policy' }) name: string | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 2, description: 'Null for a draft.' }) version:
    number | null;
  @ApiProperty({ format: 'uuid' }) trace_id: string;
  @ApiProperty({ description: 'The prompt exactly as the judge receives it (after the fixed system prompt).' })
  prompt: string;
  @ApiProperty({ type: 'integer', description: 'Characters of trace content left out to fit the render budget.' })
  chars_cut: number;
  @ApiProperty({ type: PreviewJudgement, nullable: true }) judgement: PreviewJudgement | null;
}
