import { ArgumentMetadata, BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { restoreRawJson } from './raw-json';

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
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flattenValidationErrors(e.children ?? [], field)];
  });
}

/** The usual ValidationPipe, then free-form JSON fields put back as sent (see raw-json.ts). */
class AppValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const result: unknown = await super.transform(value, metadata);
    if (metadata.type === 'body') restoreRawJson(metadata.metatype, value, result);
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
