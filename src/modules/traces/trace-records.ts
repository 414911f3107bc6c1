import type { SpanKind, SpanStatus, TraceStatus } from './traces.constants';

/** A trace ready to be written: ids chosen, defaults applied, timestamps normalised. */
export interface TraceRecord {
  trace_id: string;
  name: string;
  status: TraceStatus;
  input: unknown;
  output: unknown;
  metadata: Record<string, unknown>;
  started_at: string;
  ended_at: string | null;
  session_id: string | null;
  user_id: string | null;
  tags: string[];
  environment: string | null;
  release: string | null;
}

/** A span ready to be written (same keys as the wire format). */
export interface SpanRecord {
  span_id: string;
  parent_span_id: string | null;
  name: string;
  kind: SpanKind;
  status: SpanStatus;
  input: unknown;
  output: unknown;
  model: string | null;
  token_usage: Record<string, unknown> | null;
  metadata: Record<string, unknown>;
  started_at: string;
  ended_at: string | null;
  error: string | null;
  completion_start_time: string | null;
  model_parameters: Record<string, unknown> | null;
  cost: Record<string, number> | null;
}

/** Bounds on one trace (MAX_SPANS_PER_TRACE, MAX_TRACE_BYTES, MAX_TAGS). */
export interface TraceBounds {
  spans: number;
  bytes: number;
  tags: number;
}
export interface TraceSize {
  spans: number;
  bytes: number;
  tags: number;
}
/** A write that would take a trace past its bounds: nothing was changed. */
export type WriteOutcome = 'ok' | 'missing' | { tooBig: TraceSize };
/** A span PATCH: 'trace' or 'span' when that one is missing from the project. */
export type SpanPatchOutcome = 'ok' | 'trace' | 'span' | { tooBig: TraceSize };
