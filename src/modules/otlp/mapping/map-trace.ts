import type { SpanCreateDto } from '../../traces/dto/span-create.dto';
import type { TraceCreateDto } from '../../traces/dto/trace-create.dto';
import { MAX_SPANS_PER_REQUEST } from '../../traces/traces.constants';
import type { OtlpSpan } from '../wire/otlp-model';
import { traceUuid } from './ids';
import { mapSpan, type MappedSpan, spanProblem } from './map-span';

/**
 * One write of ingestion input: a trace with up to MAX_SPANS_PER_REQUEST spans. `provisional` when
 * the export did not carry the trace's root span: the trace-level fields are a placeholder that
 * must not overwrite those a root already wrote (children usually arrive before their parents).
 */
export interface TraceWrite {
  trace: TraceCreateDto;
  provisional: boolean;
  /** How many OTLP spans this write carries (rejected together if the write is refused). */
  spanCount: number;
}

export interface RejectedSpans {
  count: number;
  reason: string;
}

const ENVIRONMENT_KEYS = ['deployment.environment.name', 'deployment.environment'];

const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

function byStart(a: MappedSpan, b: MappedSpan): number {
  return a.span.started_at < b.span.started_at ? -1 : a.span.started_at > b.span.started_at ? 1 : 0;
}

/** The trace-level fields of one OTel trace, from its root span when the export has it. */
function traceOf(
  traceId: string,
  spans: MappedSpan[],
  resource: Record<string, unknown>,
): Omit<TraceCreateDto, 'spans'> & { provisional: boolean } {
  const sorted = [...spans].sort(byStart);
  const root = sorted.find((s) => !s.span.parent_span_id);
  const withRootFirst = root ? [root, ...sorted.filter((s) => s !== root)] : sorted;
  const firstFact = <K extends 'sessionId' | 'userId'>(key: K) =>
    withRootFirst.map((s) => s.facts[key]).find((v) => v) ?? null;
  const tags = [...new Set(spans.flatMap((s) => s.facts.tags ?? []))];
  const trace: Omit<TraceCreateDto, 'spans'> = {
    trace_id: traceUuid(traceId),
    name: (root ?? sorted[0]).span.name,
    status: root ? (root.span.status === 'ERROR' ? 'ERROR' : 'COMPLETED') : 'RUNNING',
    input: root?.span.input ?? null,
    output: root?.span.output ?? null,
    metadata: { ...resource, 'otel.trace_id': traceId },
    started_at: (root ?? sorted[0]).span.started_at,
    ended_at: root?.span.ended_at ?? null,
    session_id: firstFact('sessionId'),
    user_id: firstFact('userId'),
    tags: tags.length ? tags : undefined,
    environment: ENVIRONMENT_KEYS.map((k) => str(resource[k])).find(Boolean) ?? null,
    release: str(resource['service.version']),
  };
  return { ...trace, provisional: !root };
}

/**
 * An export's spans grouped into trace writes (one per trace, split past MAX_SPANS_PER_REQUEST
 * spans, the root's chunk first), plus the spans that could not be mapped at all.
 */
export function mapExport(spans: OtlpSpan[]): { writes: TraceWrite[]; rejected: RejectedSpans[] } {
  const rejected: RejectedSpans[] = [];
  const groups = new Map<string, { resource: Record<string, unknown>; spans: MappedSpan[] }>();
  for (const span of spans) {
    const problem = spanProblem(span);
    if (problem) {
      rejected.push({ count: 1, reason: `span ${span.spanId || '(empty)'}: ${problem}` });
      continue;
    }
    const group = groups.get(span.traceId) ?? { resource: span.resource, spans: [] };
    group.spans.push(mapSpan(span));
    groups.set(span.traceId, group);
  }
  const writes: TraceWrite[] = [];
  for (const [traceId, group] of groups) {
    const { provisional, ...trace } = traceOf(traceId, group.spans, group.resource);
    const ordered = [...group.spans].sort((a, b) => Number(!!a.span.parent_span_id) - Number(!!b.span.parent_span_id));
    for (let at = 0; at < ordered.length; at += MAX_SPANS_PER_REQUEST) {
      const chunk: SpanCreateDto[] = ordered.slice(at, at + MAX_SPANS_PER_REQUEST).map((s) => s.span);
      // Only the chunk with the root speaks for the trace; the others merge in like late children.
      writes.push({ trace: { ...trace, spans: chunk }, provisional: provisional || at > 0, spanCount: chunk.length });
    }
  }
  return { writes, rejected };
}
