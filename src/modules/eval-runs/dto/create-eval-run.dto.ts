import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { EvalRunFiltersDto } from './eval-run-filters.dto';
import { MetricNamesField, PositiveCountField, SamplingRateField, SamplingSeedField } from './run-option-fields';

export { MAX_METRICS_PER_RUN, MAX_SAMPLING_SEED } from './run-option-fields';

/** Fields shared by filtered and batch runs. */
export class RunMetricsFields {
  @ApiProperty({ required: false, nullable: true, type: String, maxLength: 255, example: 'nightly quality check' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  name?: string | null;

  @MetricNamesField(
    'Trace metric names (see GET /evaluations/trace-metrics). Duplicates are removed; unknown names give 422.',
    ['task_completion', 'confidence'],
  )
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

  @PositiveCountField(
    'Budget: the run stops (FAILED, scores kept) once it has made this many judge calls, retries included. ' +
      'Default: EVAL_MAX_JUDGE_CALLS (unset: unlimited). Calls already in flight finish, so the total can exceed it slightly.',
  )
  max_judge_calls?: number | null;

  @PositiveCountField(
    'Budget: the run stops (FAILED, scores kept) once its judge calls used this many tokens (input + output). ' +
      'Default: EVAL_MAX_JUDGE_TOKENS (unset: unlimited).',
    Number.MAX_SAFE_INTEGER,
  )
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

  @SamplingRateField(
    'Fraction of the matching traces to evaluate: k = floor(n × rate), at least 1. 0 is rejected (422) because it selects nothing.',
  )
  sampling_rate?: number | null;

  @SamplingSeedField(
    "Seed of the deterministic sample. Omit for a random one; pass a run's `sampling_seed` to reproduce its sample.",
  )
  sampling_seed?: number | null;
}
