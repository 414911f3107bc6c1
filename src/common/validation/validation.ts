import { ArgumentMetadata, BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { restoreRawJson, shieldRawJson } from './raw-json';

export interface FieldError {
  field: string;
  message: string;
}

/** Thrown for request-shape problems; rendered as 422 {"detail":"Validation error","errors":[...]}. */
export class RequestValidationError extends BadRequestException {
  constructor(public readonly errors: FieldError[]) {
    super('Validation error');
  }
}

export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent} -> ${e.property}` : e.property;
    // A required field that is absent fails every rule it has: say it once, as what it is.
    if (e.value === undefined && e.constraints) return [{ field, message: `${e.property} is required` }];
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flattenValidationErrors(e.children ?? [], field)];
  });
}

/**
 * The usual ValidationPipe, with free-form JSON fields shielded from it and put back as sent (see
 * raw-json.ts). Nest's own prototype-key strip still runs on everything else: class-transformer would
 * call an own `constructor` value of a nested object it walks.
 */
class AppValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'body') return super.transform(value, metadata);
    const result: unknown = await super.transform(shieldRawJson(metadata.metatype, value), metadata);
    const problems = restoreRawJson(metadata.metatype, value, result);
    if (problems.length > 0) throw new RequestValidationError(problems);
    return result;
  }
}

export function createValidationPipe(): ValidationPipe {
  return new AppValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => new RequestValidationError(flattenValidationErrors(errors)),
  });
}
