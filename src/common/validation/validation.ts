import { ArgumentMetadata, BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import sjson from 'secure-json-parse';
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
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flattenValidationErrors(e.children ?? [], field)];
  });
}

/** The usual ValidationPipe, then free-form JSON fields put back as sent (see raw-json.ts). */
class AppValidationPipe extends ValidationPipe {
  /** Nest's own strip also deletes every `constructor` and `prototype` key of the input, in place. */
  protected override stripProtoKeys(value: unknown): void {
    if (value !== null && typeof value === 'object')
      sjson.scan(value, { protoAction: 'remove', constructorAction: 'ignore' });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'body') return super.transform(value, metadata);
    const result: unknown = await super.transform(shieldRawJson(metadata.metatype, value), metadata);
    restoreRawJson(metadata.metatype, value, result);
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
