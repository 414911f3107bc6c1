import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { RequestValidationError, flattenValidationErrors } from '../../../common/validation/validation';
import {
  MAX_SIGNAL_WEIGHT,
  SESSION_FILTER_KEYS,
  SessionRunFiltersDto,
} from '../../eval-runs/dto/create-session-run.dto';
import { EvalRunFiltersDto, FILTER_KEYS } from '../../eval-runs/dto/eval-run-filters.dto';
import { hadProtoKey } from '../../../common/validation/request-shape';
import { SESSION_SIGNALS } from '../../metrics/session/session-metrics';
import type { MonitorTargetType } from '../entities/monitor.entity';

const fail = (field: string, message: string) => new RequestValidationError([{ field, message }]);

/**
 * Validates a monitor's filters against its target type's keys (those of its runs: trace-run or
 * session-run filters) (unknown keys are a 422, not
 * ignored) and returns them as stored: as sent, nulls dropped.
 */
export function validateMonitorFilters(targetType: MonitorTargetType, raw: unknown): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw fail('filters', 'filters must be an object');
  const [cls, keys] =
    targetType === 'TRACE'
      ? [EvalRunFiltersDto, FILTER_KEYS as readonly string[]]
      : [SessionRunFiltersDto, SESSION_FILTER_KEYS as readonly string[]];
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

const unknownSignal = (key: string) => `unknown signal '${key}'; allowed: ${SESSION_SIGNALS.join(', ')}`;

/** signal_weights: SESSION only; the session runs' rules (known signal names, weights in [0, MAX_SIGNAL_WEIGHT]). */
export function validateSignalWeights(targetType: MonitorTargetType, raw: unknown): Record<string, number> | null {
  if (raw === undefined || raw === null) return null;
  if (targetType !== 'SESSION') throw fail('signal_weights', 'signal_weights is only valid for SESSION monitors.');
  if (typeof raw !== 'object' || Array.isArray(raw)) throw fail('signal_weights', 'signal_weights must be an object');
  // The body parser removed a `__proto__` key (prototype pollution); it is refused by name, never dropped.
  if (hadProtoKey(raw)) throw fail('signal_weights -> __proto__', unknownSignal('__proto__'));
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!(SESSION_SIGNALS as readonly string[]).includes(k)) {
      throw fail(`signal_weights -> ${k}`, unknownSignal(k));
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_SIGNAL_WEIGHT) {
      throw fail(`signal_weights -> ${k}`, `a signal weight must be a number between 0 and ${MAX_SIGNAL_WEIGHT}`);
    }
    out[k] = v;
  }
  return out;
}
