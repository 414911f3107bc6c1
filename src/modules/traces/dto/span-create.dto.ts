import { SPAN_KINDS, SPAN_STATUSES, SpanKind, SpanStatus } from '../traces.constants';
import {
  AnyJson,
  OptionalClientId,
  OptionalJsonObject,
  OptionalOneOf,
  OptionalShortText,
  RequiredName,
  RequiredTimestamp,
} from './field.decorators';
import { withSpanTail } from './shared-tails';

/** A span's create body up to started_at. */
class SpanCreateHead {
  @OptionalClientId({ description: 'Client-chosen id, unique within its trace; generated when absent.' })
  span_id?: string | null;

  @OptionalClientId({ nullable: true, description: 'Parent span; may name a span later in the array.' })
  parent_span_id?: string | null;

  @RequiredName()
  name: string;

  @OptionalOneOf(SPAN_KINDS, { default: 'OTHER' })
  kind?: SpanKind | null;

  @OptionalOneOf(SPAN_STATUSES, { default: 'UNSET' })
  status?: SpanStatus | null;

  @AnyJson('Any JSON value.')
  input?: unknown;

  @AnyJson('Any JSON value.')
  output?: unknown;

  @OptionalShortText()
  model?: string | null;

  @OptionalJsonObject({
    nullable: true,
    description: 'Token counts; totals read `prompt_tokens` and `completion_tokens`.',
    example: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
  })
  token_usage?: Record<string, unknown> | null;

  @OptionalJsonObject({ default: {} })
  metadata?: Record<string, unknown> | null;

  @RequiredTimestamp()
  started_at: string;
}

/** One span as sent inside POST /traces or in the array of POST /traces/{trace_id}/spans. */
export class SpanCreateDto extends withSpanTail(SpanCreateHead, {
  completionStartTime: 'First token received (LLM spans).',
  cost: {
    description: 'Costs by component; totals read `total`.',
    example: { input: 0.001, output: 0.002, total: 0.003 },
  },
}) {}
