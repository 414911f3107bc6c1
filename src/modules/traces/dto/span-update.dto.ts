import { SPAN_KINDS, SPAN_STATUSES, SpanKind, SpanStatus } from '../traces.constants';
import { AnyJson, OptionalJsonObject, OptionalOneOf, OptionalShortText, UpdatedName } from './field.decorators';
import { withSpanTail } from './shared-tails';

/** A span's PATCH body up to metadata. */
class SpanUpdateHead {
  @UpdatedName()
  name?: string | null;

  @OptionalOneOf(SPAN_KINDS, { nullable: true })
  kind?: SpanKind | null;

  @OptionalOneOf(SPAN_STATUSES, { nullable: true })
  status?: SpanStatus | null;

  @AnyJson('Any JSON value; null clears it.')
  input?: unknown;

  @AnyJson('Any JSON value; null clears it.')
  output?: unknown;

  @OptionalShortText()
  model?: string | null;

  @OptionalJsonObject({ nullable: true })
  token_usage?: Record<string, unknown> | null;

  @OptionalJsonObject({
    nullable: true,
    description: 'Merged into the stored metadata.',
  })
  metadata?: Record<string, unknown> | null;
}

/**
 * Body of PATCH /traces/{trace_id}/spans/{span_id}. Only the keys sent are applied; `null` clears a
 * nullable field and is ignored for `name`, `kind`, `status` and `metadata`; `metadata` is merged.
 * `started_at` cannot be changed.
 */
export class SpanUpdateDto extends withSpanTail(SpanUpdateHead) {}
