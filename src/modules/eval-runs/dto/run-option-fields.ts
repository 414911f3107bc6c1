import { ApiProperty } from '@nestjs/swagger';
import { stacked } from '../../../common/decorators';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { MAX_TAGS } from '../../traces/traces.constants';

/** Largest seed accepted and generated: seeds travel as JSON numbers, so they stay exact integers. */
export const MAX_SAMPLING_SEED = Number.MAX_SAFE_INTEGER;
export const MAX_METRICS_PER_RUN = 50;

/**
 * The option fields every run target (and a monitor's run template) takes, as one property
 * decorator each (validation declared once, in the order it was stacked); each target words its own documentation.
 */

/** `metrics`: 1–50 metric names of the target's registry. */
export const MetricNamesField = (description: string, example: string[]) =>
  stacked(
    ApiProperty({ type: [String], minItems: 1, maxItems: MAX_METRICS_PER_RUN, example, description }),
    IsArray(),
    ArrayMinSize(1),
    ArrayMaxSize(MAX_METRICS_PER_RUN),
    IsString({ each: true }),
    MaxLength(255, { each: true }),
  );

/**
 * `sampling_rate`: the fraction of the matching targets, in [0, 1] (0 is refused by the service).
 * A run's is nullable; a monitor's is not, and shows an example.
 */
export const SamplingRateField = (
  description: string,
  { nullable = true, example }: { nullable?: boolean; example?: number } = {},
) =>
  stacked(
    ApiProperty({
      required: false,
      ...(nullable ? { nullable } : {}),
      type: Number,
      minimum: 0,
      maximum: 1,
      default: 1,
      ...(example === undefined ? {} : { example }),
      description,
    }),
    IsOptional(),
    IsNumber({ allowNaN: false, allowInfinity: false }),
    Min(0),
    Max(1),
  );

/** `sampling_seed`: the seed of the deterministic sample. */
export const SamplingSeedField = (description: string) =>
  stacked(
    ApiProperty({
      required: false,
      nullable: true,
      type: 'integer',
      minimum: 0,
      maximum: MAX_SAMPLING_SEED,
      description,
    }),
    IsOptional(),
    IsInt(),
    Min(0),
    Max(MAX_SAMPLING_SEED),
  );

/** PostgreSQL's largest `integer`: the cap of counts stored in such columns (budgets of calls, trace counts). */
export const MAX_INT4 = 2_147_483_647;

/**
 * An optional, nullable whole number from 1 to `max` (a budget of judge calls or tokens, a minimum
 * count); null or absent: no such bound.
 */
export const PositiveCountField = (description: string, max: number = MAX_INT4) =>
  stacked(
    ApiProperty({ required: false, nullable: true, type: 'integer', minimum: 1, description }),
    IsOptional(),
    IsInt(),
    Min(1),
    Max(max),
  );

/** `filters.tags`: traces carrying ANY of these tags (at most MAX_TAGS). */
export const TagsFilterField = (description: string) =>
  stacked(
    ApiProperty({ required: false, nullable: true, type: [String], description }),
    IsOptional(),
    IsArray(),
    ArrayMaxSize(MAX_TAGS),
    IsString({ each: true }),
  );
