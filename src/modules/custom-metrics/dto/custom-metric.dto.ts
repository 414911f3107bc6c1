import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsEnum,
  IsNumber,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { CustomOutputType } from '../entities/custom-metric.entity';
import { MAX_TEMPLATE_CHARS } from '../template/template';
import { PageOf } from '../../../common/dto/pagination.dto';

export const MAX_LABELS = 50;
export const MAX_EXAMPLES = 10;

/** A few-shot example shown to the judge before the trace. */
export class CustomMetricExampleDto {
  @ApiProperty({ maxLength: 4000, example: 'User asked for a refund of a 40-day-old order; the agent refunded it.' })
  @IsString()
  @Length(1, 4000)
  input: string;

  @ApiProperty({
    oneOf: [{ type: 'number' }, { type: 'boolean' }, { type: 'string' }],
    example: false,
    description: 'The answer for this example: a number in [0, 1], a boolean, or one of `labels`, by output_type.',
  })
  @IsDefined()
  value: number | boolean | string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 1000,
    example: 'Refunds are allowed within 30 days.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  reason?: string | null;
}

/** What the judge sees and answers: changing any of these makes a new version. */
export class CustomMetricDefinitionDto {
  @ApiProperty({
    maxLength: MAX_TEMPLATE_CHARS,
    example:
      'Did the agent refund only within policy (30 days, receipt present)?\nRequest: {{input}}\nTool calls:\n{{spans kind=TOOL}}\nReply: {{output}}',
    description:
      'Text with {{variables}}: input, output, trace, spans (kind=…, name=…), metadata[.path], session_history (turns=…).',
  })
  @IsString()
  @Length(1, MAX_TEMPLATE_CHARS)
  prompt_template: string;

  @ApiProperty({ enum: CustomOutputType, enumName: 'CustomOutputType', example: CustomOutputType.BOOLEAN })
  @IsEnum(CustomOutputType)
  output_type: CustomOutputType;

  @ApiPropertyOptional({
    type: [String],
    example: ['refund', 'escalate', 'decline'],
    description: 'CATEGORICAL only: 2 to 50 labels.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_LABELS)
  @IsString({ each: true })
  @Length(1, 100, { each: true })
  labels?: string[];

  @ApiPropertyOptional({
    type: [String],
    example: ['refund'],
    description: 'CATEGORICAL only: the labels that count as a success.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_LABELS)
  @IsString({ each: true })
  success_labels?: string[];

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 1,
    example: 0.5,
    description: 'NUMERIC only: a score at or above it succeeds (default 0.5).',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  threshold?: number;

  @ApiPropertyOptional({
    example: 'openai/gpt-4o-mini',
    description: 'Judge model for this metric; default: the run’s, then EVAL_LLM_MODEL.',
  })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  model?: string;

  @ApiPropertyOptional({ type: [CustomMetricExampleDto], maxItems: MAX_EXAMPLES })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_EXAMPLES)
  @ValidateNested({ each: true })
  @Type(() => CustomMetricExampleDto)
  examples?: CustomMetricExampleDto[];
}

/** Body of POST /evaluations/custom-metrics. */
export class CreateCustomMetricRequest extends CustomMetricDefinitionDto {
  @ApiProperty({
    example: 'refund_policy',
    description: 'snake_case, unique in the project, never a built-in metric name.',
  })
  @IsString()
  @Matches(/^[a-z][a-z0-9_]{0,63}$/, {
    message: 'name must be snake_case: a-z, 0-9 and _, starting with a letter, at most 64 characters',
  })
  name: string;

  @ApiPropertyOptional({ maxLength: 2000, example: 'Refunds only within the 30-day policy.' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;
}

/** Body of PATCH /evaluations/custom-metrics/{name}: a description change keeps the version, any other change makes a new one. */
export class UpdateCustomMetricRequest extends PartialType(CustomMetricDefinitionDto) {
  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;
}

/** One version of a custom metric, as stored. */
export class CustomMetricVersionResponse {
  @ApiProperty({ example: 'refund_policy' }) name: string;
  @ApiProperty({ type: 'integer', example: 2 }) version: number;
  @ApiProperty() prompt_template: string;
  @ApiProperty({ enum: CustomOutputType, enumName: 'CustomOutputType' }) output_type: CustomOutputType;
  @ApiProperty({ type: [String], nullable: true }) labels: string[] | null;
  @ApiProperty({ type: [String], nullable: true }) success_labels: string[] | null;
  @ApiProperty({ type: Number, nullable: true, example: 0.5 }) threshold: number | null;
  @ApiProperty({ type: String, nullable: true, example: null }) model: string | null;
  @ApiProperty({ type: [CustomMetricExampleDto] }) examples: CustomMetricExampleDto[];
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

/** A custom metric with its latest version. */
export class CustomMetricResponse extends CustomMetricVersionResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'Refunds only within the 30-day policy.' }) description: string;
  @ApiProperty({ example: 'custom' }) category: 'custom';
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export class CustomMetricPage extends PageOf(CustomMetricResponse) {}

export class CustomMetricVersionPage extends PageOf(CustomMetricVersionResponse) {}
