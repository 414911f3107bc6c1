import { Injectable, PipeTransform } from '@nestjs/common';
import { RequestValidationError } from '../../../common/validation/validation';
import { SpanCreateDto } from '../dto/span-create.dto';
import { TraceCreateDto } from '../dto/trace-create.dto';
import { validateSpanList, validateTraceCreate } from './ingest-validation';

/**
 * Ingestion bodies are validated with the rules of TraceCreateDto / SpanCreateDto and answered with
 * the same 422 shape as every other body, with two differences: a hand-written validator (see
 * ingest-validation.ts: the decorator-based one was the largest CPU cost of ingestion), and unknown
 * keys are dropped instead of rejected, since SDKs treat a 422 as final and drop the trace, so a newer
 * SDK that adds a field must not lose data. Routes using these pipes declare their body parameter
 * without a class type so the global ValidationPipe leaves it alone.
 */
@Injectable()
export class TraceCreateBodyPipe implements PipeTransform<unknown, TraceCreateDto> {
  transform(value: unknown): TraceCreateDto {
    const { value: dto, errors } = validateTraceCreate(value);
    if (!dto) throw new RequestValidationError(errors);
    return dto;
  }
}

/** The body of POST /traces/{trace_id}/spans: a JSON array of 1 to 500 spans. */
@Injectable()
export class SpanListBodyPipe implements PipeTransform<unknown, SpanCreateDto[]> {
  transform(value: unknown): SpanCreateDto[] {
    const { value: spans, errors } = validateSpanList(value);
    if (!spans) throw new RequestValidationError(errors);
    return spans;
  }
}
