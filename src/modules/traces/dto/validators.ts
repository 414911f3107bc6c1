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

/**
 * A validation decorator (`@Name(options?)`) that accepts a value when `validate` says so and
 * otherwise fails with `message` (`$property` names the field), unless the options override it.
 */
export function valueValidator(name: string, message: string, validate: (value: unknown) => boolean) {
  return (options?: ValidationOptions): PropertyDecorator =>
    (target, propertyName) =>
      registerDecorator({
        name,
        target: target.constructor,
        propertyName: propertyName as string,
        options: { message, ...options },
        validator: { validate },
      });
}

const isJsonObject = valueValidator('isJsonObject', '$property must be a JSON object', isPlainObject);

/** The value must be a JSON object. */
export function IsJsonObject(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) => {
    KeepRawJson()(target, propertyName);
    isJsonObject(options)(target, propertyName);
  };
}

/** The value must be a JSON object whose values are all finite numbers (e.g. `cost`). */
export const IsNumberRecord = valueValidator(
  'isNumberRecord',
  '$property must be an object whose values are numbers',
  (value) => isPlainObject(value) && Object.values(value).every((v) => typeof v === 'number' && Number.isFinite(v)),
);

/** What the transform leaves in place of a timestamp it could not read, for the validator to reject. */
class UnreadableTimestamp {
  constructor(readonly text: unknown) {}
}

const isNormalisedTimestamp = valueValidator(
  'isTimestamp',
  '$property must be an ISO-8601 timestamp',
  (value) => typeof value === 'string',
);

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
    isNormalisedTimestamp(options)(target, propertyName);
  };
}
