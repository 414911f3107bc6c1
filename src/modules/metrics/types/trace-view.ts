/**
 * What the judge sees of a trace. Other modules build TraceViews from database rows; the
 * metrics never touch entities.
 */
export interface SpanView {
  span_id: string;
  parent_span_id: string | null;
  name: string;
  kind: string;
  status: string;
  input: unknown;
  output: unknown;
  model: string | null;
  error: string | null;
  metadata: Record<string, unknown>;
  started_at: string;
  ended_at: string | null;
  token_usage: Record<string, unknown> | null;
}
export interface TraceView {
  trace_id: string;
  name: string;
  status: string;
  input: unknown;
  output: unknown;
  metadata: Record<string, unknown>;
  session_id: string | null;
  user_id: string | null;
  tags: string[];
  environment: string | null;
  started_at: string;
  ended_at: string | null;
  spans: SpanView[];
}
