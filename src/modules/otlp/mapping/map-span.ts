import type { SpanCreateDto } from '../../traces/dto/span-create.dto';
import type { OtlpSpan } from '../wire/otlp-model';
import { genAiConvention } from './conventions/gen-ai';
import { identityConvention } from './conventions/identity';
import { openInferenceConvention } from './conventions/openinference';
import { traceloopConvention } from './conventions/traceloop';
import { vercelAiConvention } from './conventions/vercel-ai';
import { type Convention, mergeFacts, type SpanFacts } from './facts';
import { isSpanId, isTraceId, spanUuid } from './ids';
import { nanosToIso } from './values';

/** Read in this order; where two conventions say something, the earlier wins. */
const CONVENTIONS: Convention[] = [
  identityConvention,
  openInferenceConvention,
  genAiConvention,
  traceloopConvention,
  vercelAiConvention,
];

const OTEL_KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUSES = ['UNSET', 'OK', 'ERROR'] as const;

export interface MappedSpan {
  span: SpanCreateDto;
  facts: SpanFacts;
}

/** Why a span cannot be stored, or null. */
export function spanProblem(span: OtlpSpan): string | null {
  if (!isTraceId(span.traceId)) return 'trace_id must be 16 bytes, not all zero';
  if (!isSpanId(span.spanId)) return 'span_id must be 8 bytes, not all zero';
  if (span.parentSpanId && !isSpanId(span.parentSpanId)) return 'parent_span_id must be empty or 8 bytes';
  if (!nanosToIso(span.startTimeUnixNano)) return 'start_time_unix_nano is required';
  return null;
}

/** The error text: the status message, else the first exception event. */
function errorOf(span: OtlpSpan): string | null {
  if (span.status.code !== 2) return null;
  const exception = span.events.find((e) => e.name === 'exception')?.attributes;
  const fromEvent = exception
    ? [exception['exception.type'], exception['exception.message']].filter((v) => typeof v === 'string' && v).join(': ')
    : '';
  return span.status.message || fromEvent || 'error';
}

function tokenUsage(facts: SpanFacts): Record<string, number> | null {
  const { promptTokens: prompt, completionTokens: completion } = facts;
  if (prompt === undefined && completion === undefined && facts.totalTokens === undefined) return null;
  const usage: Record<string, number> = {};
  if (prompt !== undefined) usage.prompt_tokens = prompt;
  if (completion !== undefined) usage.completion_tokens = completion;
  usage.total_tokens = facts.totalTokens ?? (prompt ?? 0) + (completion ?? 0);
  return usage;
}

/**
 * Agent and chain spans (invoke_agent, ai.generateText, OpenLLMetry workflows) report the usage of
 * the model calls below them again: counted there too, the trace's totals would count every token
 * twice. Only spans that are model calls themselves (or of no known kind) count; the others keep
 * their figure in metadata `otel.usage`.
 */
const AGGREGATE_KINDS = new Set(['AGENT', 'CHAIN', 'TOOL', 'RETRIEVER']);

/** Attributes no convention consumed, with the OTel span kind and scope, as the span's metadata. */
function metadataOf(span: OtlpSpan, aggregateUsage: Record<string, number> | null): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  if (aggregateUsage) metadata['otel.usage'] = aggregateUsage;
  for (const [key, value] of Object.entries(span.attributes)) {
    if (!CONVENTIONS.some((c) => c.consumes(key))) metadata[key] = value;
  }
  metadata['otel.span_kind'] = OTEL_KINDS[span.kind] ?? 'UNSPECIFIED';
  if (span.scope.name) metadata['otel.scope.name'] = span.scope.name;
  return metadata;
}

/** One OTLP span as a span of our ingestion input (validated afterwards by the traces module's rules). */
export function mapSpan(span: OtlpSpan): MappedSpan {
  const facts = mergeFacts(CONVENTIONS.map((c) => c.read(span.attributes, span.events, span.name)));
  const kind = facts.kind ?? 'OTHER';
  const usage = tokenUsage(facts);
  const aggregate = AGGREGATE_KINDS.has(kind);
  return {
    facts,
    span: {
      span_id: spanUuid(span.spanId),
      parent_span_id: span.parentSpanId ? spanUuid(span.parentSpanId) : null,
      name: span.name || 'unnamed',
      kind,
      status: STATUSES[span.status.code] ?? 'UNSET',
      input: facts.input ?? null,
      output: facts.output ?? null,
      model: facts.model ?? null,
      token_usage: aggregate ? null : usage,
      metadata: metadataOf(span, aggregate ? usage : null),
      started_at: nanosToIso(span.startTimeUnixNano) as string,
      ended_at: nanosToIso(span.endTimeUnixNano),
      error: errorOf(span),
      model_parameters: facts.modelParameters ?? null,
      cost: facts.cost !== undefined && !aggregate ? { total: facts.cost } : null,
    },
  };
}
