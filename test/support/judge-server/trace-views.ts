import type { SpanView, TraceView } from '../../../src/modules/metrics/types/trace-view';

/** Builds a SpanView for specs: an OK AGENT span named after its id unless overridden. */
export function spanView(over: Partial<SpanView> & { span_id: string }): SpanView {
  return {
    parent_span_id: null,
    name: over.span_id,
    kind: 'AGENT',
    status: 'OK',
    input: null,
    output: null,
    model: null,
    error: null,
    metadata: {},
    started_at: '2026-01-01T00:00:00.000Z',
    ended_at: null,
    token_usage: null,
    ...over,
  };
}

/** Builds a TraceView for specs around the given spans. */
export function traceView(spans: SpanView[], over: Partial<TraceView> = {}): TraceView {
  return {
    trace_id: 'trace-1',
    name: 'demo',
    status: 'COMPLETED',
    input: null,
    output: null,
    metadata: {},
    session_id: null,
    user_id: null,
    tags: [],
    environment: null,
    started_at: '2026-01-01T00:00:00.000Z',
    ended_at: null,
    spans,
    ...over,
  };
}
