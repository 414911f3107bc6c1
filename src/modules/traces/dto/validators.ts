import { Transform } from 'class-transformer';
import { ValidationOptions, registerDecorator } from 'class-validator';
import { normalizeTimestamp } from '../utils/timestamp';
import { markRawJson } from '../../../common/validation/raw-json';

/** A free-form JSON field: the validation pipe hands it over exactly as sent (see raw-json.ts). */
export function KeepRawJson(): PropertyDecorator {
  return (target, propertyName) => markRawJson(target.constructor, propertyName as string);
}

/** A JSON object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value must be a JSON object. */
export function IsJsonObject(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) => {
    KeepRawJson()(target, propertyName);
    registerDecorator({
      name: 'isJsonObject',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: '$property must be a JSON object', ...options },
      validator: { validate: (value: unknown) => isPlainObject(value) },
    });
  };
}

/** The value must be a JSON object whose values are all finite numbers (e.g. `cost`). */
export function IsNumberRecord(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isNumberRecord',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: '$property must be an object whose values are numbers', ...options },
      validator: {
        validate: (value: unknown) =>
          isPlainObject(value) && Object.values(value).every((v) => typeof v === 'number' && Number.isFinite(v)),
      },
    });
}

/** What the transform leaves in place of a timestamp it could not read, for the validator to reject. */
class UnreadableTimestamp {
  constructor(readonly text: unknown) {}
}

/**
 * An ISO-8601 timestamp (see utils/timestamp). The transformation step parses it once and leaves
 * either the normalised UTC string (`YYYY-MM-DDTHH:MM:SS.ffffffZ`) or a marker that the validator
 * rejects, so DTO fields carry normalised values only.
 */
export function IsTimestamp(options?: ValidationOptions): PropertyDecorator {
  const transform = Transform(({ value }) => {
    if (value === undefined || value === null) return value;
    return normalizeTimestamp(value) ?? new UnreadableTimestamp(value);
  });
  return (target, propertyName) => {
    transform(target, propertyName);
    registerDecorator({
      name: 'isTimestamp',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: '$property must be an ISO-8601 timestamp', ...options },
      validator: { validate: (value: unknown) => typeof value === 'string' },
    });
  };
}
