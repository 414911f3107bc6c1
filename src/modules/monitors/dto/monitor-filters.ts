import { ApiProperty } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  validateSync,
} from 'class-validator';
import { RequestValidationError, flattenValidationErrors } from '../../../common/validation/validation';
import { EvalRunFiltersDto, FILTER_KEYS, IsFilterDate } from '../../eval-runs/dto/eval-run-filters.dto';
import { MAX_TAGS } from '../../traces/traces.constants';
import type { MonitorTargetType } from '../entities/monitor.entity';

/**
 * Filters of a SESSION monitor: the session-run filter keys of the original (§3.8). Validated
 * here until session runs land on main; then this should be their filters DTO.
 */
export class SessionMonitorFiltersDto {
  @ApiProperty({ required: false, nullable: true, type: String, description: 'Inclusive, on trace started_at.' })
  @IsOptional()
  @IsFilterDate()
  date_from?: string | null;

  @ApiProperty({ required: false, nullable: true, type: String, description: 'Exclusive, on trace started_at.' })
  @IsOptional()
  @IsFilterDate()
  date_to?: string | null;

  @ApiProperty({ required: false, nullable: true, type: String, maxLength: 255 })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  user_id?: string | null;

  @ApiProperty({ required: false, nullable: true, type: Boolean })
  @IsOptional()
  @IsBoolean()
  has_error?: boolean | null;

  @ApiProperty({ required: false, nullable: true, type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TAGS)
  @IsString({ each: true })
  tags?: string[] | null;

  @ApiProperty({ required: false, nullable: true, type: 'integer', minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  min_trace_count?: number | null;
}

export const SESSION_FILTER_KEYS = ['date_from', 'date_to', 'user_id', 'has_error', 'tags', 'min_trace_count'] as const;

/** Session signals whose aggregation weights a SESSION monitor may override. */
export const SIGNAL_WEIGHT_KEYS = ['confidence', 'loop_detection', 'tool_correctness', 'coherence'] as const;

/**
 * Session metric names (the original's session registry). Held here until session runs land on
 * main with their registry; then the check should ask that registry.
 */
export const SESSION_METRIC_NAMES = ['agent_reliability', 'agent_consistency'] as const;

const fail = (field: string, message: string) => new RequestValidationError([{ field, message }]);

/**
 * Validates a monitor's filters against its target type's keys (unknown keys are a 422, not
 * ignored) and returns them as stored: as sent, nulls dropped.
 */
export function validateMonitorFilters(targetType: MonitorTargetType, raw: unknown): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw fail('filters', 'filters must be an object');
  const [cls, keys] =
    targetType === 'TRACE'
      ? [EvalRunFiltersDto, FILTER_KEYS as readonly string[]]
      : [SessionMonitorFiltersDto, SESSION_FILTER_KEYS as readonly string[]];
  const unknown = Object.keys(raw).filter((k) => !keys.includes(k));
  if (unknown.length > 0) {
    throw new RequestValidationError(
      unknown.map((k) => ({
        field: `filters -> ${k}`,
        message: `unknown ${targetType} filter '${k}'; allowed: ${keys.join(', ')}`,
      })),
    );
  }
  const errors = validateSync(plainToInstance(cls as new () => object, raw));
  if (errors.length > 0) throw new RequestValidationError(flattenValidationErrors(errors, 'filters'));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

/** signal_weights: SESSION only; known signal names; finite weights ≥ 0. */
export function validateSignalWeights(targetType: MonitorTargetType, raw: unknown): Record<string, number> | null {
  if (raw === undefined || raw === null) return null;
  if (targetType !== 'SESSION') throw fail('signal_weights', 'signal_weights is only valid for SESSION monitors.');
  if (typeof raw !== 'object' || Array.isArray(raw)) throw fail('signal_weights', 'signal_weights must be an object');
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!(SIGNAL_WEIGHT_KEYS as readonly string[]).includes(k)) {
      throw fail(`signal_weights -> ${k}`, `unknown signal '${k}'; allowed: ${SIGNAL_WEIGHT_KEYS.join(', ')}`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1000) {
      throw fail(`signal_weights -> ${k}`, 'a signal weight must be a number between 0 and 1000');
    }
    out[k] = v;
  }
  return out;
}
