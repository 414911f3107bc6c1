import { Type } from '@nestjs/common';
import { ApiPropertyOptions } from '@nestjs/swagger';
import {
  CostField,
  OptionalJsonObject,
  OptionalShortText,
  OptionalText,
  OptionalTimestamp,
  TagsField,
} from './field.decorators';

/**
 * The trailing fields that a create body and an update body (PATCH) of the same thing declare alike,
 * each written once here and added after the body's own leading fields (`Base`), so the documented
 * order of the properties stays that of the body. Class-validator checks a class's own fields before
 * inherited ones: a body built on a tail adds no fields after it (or, for its error order, declares
 * them in an intermediate class).
 */

/** ended_at through release, of POST /traces and PATCH /traces/{trace_id}; only `tags` is worded apart. */
export function withTraceTail<B extends Type<object>>(Base: B, tagsSchema: ApiPropertyOptions) {
  class TraceTail extends Base {
    @OptionalTimestamp()
    ended_at?: string | null;

    @OptionalShortText()
    session_id?: string | null;

    @OptionalShortText()
    user_id?: string | null;

    @TagsField(tagsSchema)
    tags?: string[] | null;

    @OptionalShortText()
    environment?: string | null;

    @OptionalShortText()
    release?: string | null;
  }
  return TraceTail;
}

/** ended_at through cost, of a span's create and update bodies; the create body documents two of them more. */
export function withSpanTail<B extends Type<object>>(
  Base: B,
  docs: { completionStartTime?: string; cost?: ApiPropertyOptions } = {},
) {
  class SpanTail extends Base {
    @OptionalTimestamp()
    ended_at?: string | null;

    @OptionalText()
    error?: string | null;

    @OptionalTimestamp(docs.completionStartTime)
    completion_start_time?: string | null;

    @OptionalJsonObject({ nullable: true })
    model_parameters?: Record<string, unknown> | null;

    @CostField(docs.cost)
    cost?: Record<string, number> | null;
  }
  return SpanTail;
}
