import { Transform } from 'class-transformer';
import { ValidationOptions, registerDecorator } from 'class-validator';
import { normalizeTimestamp } from '../utils/timestamp';

/** A JSON object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value must be a JSON object. */
export function IsJsonObject(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isJsonObject',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: '$property must be a JSON object', ...options },
      validator: { validate: (value: unknown) => isPlainObject(value) },
    });
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

/**
 * An ISO-8601 timestamp (see utils/timestamp). Valid values are normalised to UTC with
 * microseconds during transformation; invalid ones are left as they are for the validator to reject.
 */
export function IsTimestamp(options?: ValidationOptions): PropertyDecorator {
  const transform = Transform(({ value }) => (typeof value === 'string' ? (normalizeTimestamp(value) ?? value) : value));
  return (target, propertyName) => {
    transform(target, propertyName);
    registerDecorator({
      name: 'isTimestamp',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: '$property must be an ISO-8601 timestamp', ...options },
      validator: { validate: (value: unknown) => normalizeTimestamp(value) !== null },
    });
  };
}
