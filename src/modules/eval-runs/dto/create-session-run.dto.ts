import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
  registerDecorator,
  ValidateNested,
  ValidationOptions,
} from 'class-validator';
import { markRawJson } from '../../../common/validation/raw-json';
import { hadProtoKey } from '../../../common/validation/request-shape';
import { DEFAULT_SIGNAL_WEIGHTS, SESSION_SIGNALS } from '../../metrics/session/session-metrics';
import { RunMetricsFields } from './create-eval-run.dto';
import {
  MetricNamesField,
  PositiveCountField,
  SamplingRateField,
  SamplingSeedField,
  TagsFilterField,
} from './run-option-fields';
import { IsFilterDate } from './eval-run-filters.dto';

/** Most session ids one batch session run accepts. */
export const MAX_BATCH_RUN_SESSION_IDS = 10_000;
/** Largest signal weight accepted (weights scale risks; nothing sensible needs more). */
export const MAX_SIGNAL_WEIGHT = 100;

const WEIGHTS_RULE = `must map signal names (${SESSION_SIGNALS.join(', ')}) to numbers between 0 and ${MAX_SIGNAL_WEIGHT}`;

/**
 * The problem with `signal_weights` as sent, or null: every key must be a signal (an unknown key,
 * `__proto__` and `constructor` included, is refused by name, never dropped) and every value a
 * number in [0, MAX_SIGNAL_WEIGHT].
 */
export function signalWeightsProblem(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object' || Array.isArray(value)) return `signal_weights ${WEIGHTS_RULE}`;
  const keys = [...(hadProtoKey(value) ? ['__proto__'] : []), ...Object.keys(value)];
  const unknown = keys.filter((k) => !(SESSION_SIGNALS as readonly string[]).includes(k));
  if (unknown.length > 0) return `signal_weights has unknown keys: ${unknown.join(', ')}; it ${WEIGHTS_RULE}`;
  const bad = Object.entries(value).filter(
    ([, v]) => typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_SIGNAL_WEIGHT,
  );
  if (bad.length > 0) return `signal_weights ${WEIGHTS_RULE}; not so: ${bad.map(([k]) => k).join(', ')}`;
  return null;
}

/**
 * `signal_weights`: a JSON object handed over as sent (not walked by the pipe, which would drop a
 * `constructor` key) and judged by signalWeightsProblem; here only its kind is checked.
 */
function IsSignalWeights(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) => {
    markRawJson(target.constructor, propertyName as string, signalWeightsProblem);
    registerDecorator({
      name: 'isSignalWeights',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `$property ${WEIGHTS_RULE}`, ...options },
      validator: { validate: (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value) },
    });
  };
}

/** Which sessions a session run evaluates. Every field optional; unknown keys are a 422. */
export class SessionRunFiltersDto {
  @ApiProperty({
    required: false,
    nullable: true,
    type: String,
    example: '2026-01-01',
    description: 'Inclusive lower bound on the start of the traces considered (ISO-8601; a bare date is UTC midnight).',
  })
  @IsOptional()
  @IsFilterDate()
  date_from?: string | null;

  @ApiProperty({ required: false, nullable: true, type: String, description: 'Exclusive upper bound (same formats).' })
  @IsOptional()
  @IsFilterDate()
  date_to?: string | null;

  @ApiProperty({ required: false, nullable: true, type: String, maxLength: 255, description: 'Exact user id.' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  user_id?: string | null;

  @TagsFilterField('Traces carrying ANY of these tags.')
  tags?: string[] | null;

  @ApiProperty({
    required: false,
    nullable: true,
    type: Boolean,
    description: 'Only sessions with (true) or without (false) a trace in status ERROR among the matching traces.',
  })
  @IsOptional()
  @IsBoolean()
  has_error?: boolean | null;

  @PositiveCountField('Only sessions with at least this many matching traces.')
  min_trace_count?: number | null;
}

export const SESSION_FILTER_KEYS = ['date_from', 'date_to', 'user_id', 'tags', 'has_error', 'min_trace_count'] as const;

/** Fields shared by filtered and batch session runs. */
export class SessionRunFields extends RunMetricsFields {
  @MetricNamesField(
    'Session metric names (see GET /evaluations/session-metrics). Duplicates are removed; unknown names give 422.',
    ['agent_reliability', 'agent_consistency'],
  )
  declare metrics: string[];

  @ApiPropertyOptional({
    nullable: true,
    type: 'object',
    additionalProperties: { type: 'number' },
    example: { tool_correctness: 1.0 },
    description: `Overrides merged over the default signal weights ${JSON.stringify(DEFAULT_SIGNAL_WEIGHTS)}; stored in the run's filters as signal_weights.`,
  })
  @IsOptional()
  @IsSignalWeights()
  signal_weights?: Record<string, number> | null;
}

/** POST /evaluations/session-runs */
export class CreateSessionRunDto extends SessionRunFields {
  @ApiProperty({ required: false, type: SessionRunFiltersDto, description: '`{}` means every session of the project.' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SessionRunFiltersDto)
  filters?: SessionRunFiltersDto | null;

  @SamplingRateField('Fraction of the matching sessions: k = floor(n × rate), at least 1; 0 is a 422.')
  sampling_rate?: number | null;

  @SamplingSeedField("Seed of the deterministic sample; pass a run's `sampling_seed` to reproduce its sample.")
  sampling_seed?: number | null;
}

/** POST /evaluations/session-runs/batch */
export class CreateBatchSessionRunDto extends SessionRunFields {
  @ApiProperty({
    type: [String],
    minItems: 1,
    maxItems: MAX_BATCH_RUN_SESSION_IDS,
    description: `Sessions of this project (at most ${MAX_BATCH_RUN_SESSION_IDS}); duplicates removed keeping the first. A session with no trace in this project gives 422.`,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH_RUN_SESSION_IDS)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(255, { each: true })
  session_ids: string[];
}
