import { Injectable, PipeTransform } from '@nestjs/common';
import { plainToInstance, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, ValidateNested, validateSync, ValidatorOptions } from 'class-validator';
import { flattenValidationErrors, RequestValidationError } from '../../../common/validation/validation';
import { SpanCreateDto } from '../dto/span-create.dto';
import { TraceCreateDto } from '../dto/trace-create.dto';
import { isPlainObject } from '../dto/validators';
import { MAX_SPANS_PER_REQUEST } from '../traces.constants';

/**
 * Ingestion bodies are validated like every other body (same rules, same 422 shape) with one
 * difference: unknown keys are dropped instead of rejected. SDKs treat a 422 as final and drop the
 * trace, so a newer SDK that adds a field must not lose data here. Routes using these pipes declare
 * their body parameter without a class type so the global pipe leaves it alone.
 */
const OPTIONS: ValidatorOptions = { whitelist: true, forbidNonWhitelisted: false, forbidUnknownValues: true };

function fail(errors: { field: string; message: string }[]): never {
  throw new RequestValidationError(errors);
}

@Injectable()
export class TraceCreateBodyPipe implements PipeTransform<unknown, TraceCreateDto> {
  transform(value: unknown): TraceCreateDto {
    if (!isPlainObject(value)) fail([{ field: 'body', message: 'The body must be a JSON object.' }]);
    const dto = plainToInstance(TraceCreateDto, value);
    const errors = validateSync(dto, OPTIONS);
    if (errors.length > 0) fail(flattenValidationErrors(errors));
    return dto;
  }
}

class SpanListDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_SPANS_PER_REQUEST)
  @ValidateNested({ each: true })
  @Type(() => SpanCreateDto)
  spans: SpanCreateDto[];
}

/** The body of POST /traces/{trace_id}/spans: a JSON array of 1 to 500 spans. */
@Injectable()
export class SpanListBodyPipe implements PipeTransform<unknown, SpanCreateDto[]> {
  transform(value: unknown): SpanCreateDto[] {
    if (!Array.isArray(value)) fail([{ field: 'body', message: 'The body must be a JSON array of spans.' }]);
    const dto = plainToInstance(SpanListDto, { spans: value });
    const errors = validateSync(dto, OPTIONS);
    if (errors.length > 0) {
      fail(
        flattenValidationErrors(errors).map((e) => ({
          field: e.field === 'spans' ? 'body' : e.field.replace(/^spans -> /, ''),
          message: e.message.replace(/^spans /, 'body '),
        })),
      );
    }
    return dto.spans;
  }
}
