import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { EvalRunFiltersDto } from './eval-run-filters.dto';

/** Largest seed accepted and generated: seeds travel as JSON numbers, so they stay exact integers. */
export const MAX_SAMPLING_SEED = Number.MAX_SAFE_INTEGER;
export const MAX_METRICS_PER_RUN = 50;

/** Fields shared by filtered and batch runs. */
export class RunMetricsFields {
  @ApiProperty({ required: false, nullable: true, type: String, maxLength: 255, example: 'nightly quality check' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  name?: string | null;

  @ApiProperty({
    type: [String],
    minItems: 1,
    maxItems: MAX_METRICS_PER_RUN,
    example: ['task_completion', 'confidence'],
    description:
      'Trace metric names (see GET /evaluations/trace-metrics). Duplicates are removed; unknown names give 422.',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_METRICS_PER_RUN)
  @IsString({ each: true })
  @MaxLength(255, { each: true })
  metrics: string[];

  @ApiProperty({
    required: false,
    nullable: true,
    type: String,
    example: 'openai/gpt-4o-mini',
    description:
      'Judge model as `provider/model` (bare gpt-/o1-/o3-, claude-, gemini- names are inferred). Default: EVAL_LLM_MODEL. ' +
      'An unknown provider or one without credentials gives 422.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  model?: string | null;

  @ApiProperty({
    required: false,
    nullable: true,
    type: 'integer',
    minimum: 1,
    description:
      'Budget: the run stops (FAILED, scores kept) once it has made this many judge calls, retries included. ' +
      'Default: EVAL_MAX_JUDGE_CALLS (unset: unlimited). Calls already in flight finish, so the total can exceed it slightly.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  max_judge_calls?: number | null;

  @ApiProperty({
    required: false,
    nullable: true,
    type: 'integer',
    minimum: 1,
    description:
      'Budget: the run stops (FAILED, scores kept) once its judge calls used this many tokens (input + output). ' +
      'Default: EVAL_MAX_JUDGE_TOKENS (unset: unlimited).',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  max_judge_tokens?: number | null;
}

/** POST /evaluations/trace-runs */
export class CreateEvalRunDto extends RunMetricsFields {
  @ApiProperty({
    required: false,
    type: EvalRunFiltersDto,
    description: 'Which traces to evaluate; `{}` means every trace of the project.',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => EvalRunFiltersDto)
  filters?: EvalRunFiltersDto | null;

  @ApiProperty({
    required: false,
    nullable: true,
    type: Number,
    minimum: 0,
    maximum: 1,
    default: 1,
    description:
      'Fraction of the matching traces to evaluate: k = floor(n × rate), at least 1. 0 is rejected (422) because it selects nothing.',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  sampling_rate?: number | null;

  @ApiProperty({
    required: false,
    nullable: true,
    type: 'integer',
    minimum: 0,
    maximum: MAX_SAMPLING_SEED,
    description:
      "Seed of the deterministic sample. Omit for a random one; pass a run's `sampling_seed` to reproduce its sample.",
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_SAMPLING_SEED)
  sampling_seed?: number | null;
}
