import type { TraceView } from './types/trace-view';

/** The tiny trace the template endpoint renders its prompt previews from. */
export const SAMPLE_TRACE: TraceView = {
  trace_id: 'TRACE_ID',
  name: 'sample-trace',
  status: 'COMPLETED',
  input: { query: '<user_input>' },
  output: { answer: '<agent_output>' },
  metadata: {},
  session_id: null,
  user_id: null,
  tags: [],
  environment: null,
  started_at: '2026-01-01T00:00:00.000Z',
  ended_at: '2026-01-01T00:00:01.000Z',
  spans: [
    {
      span_id: 'SPAN_ID',
      parent_span_id: null,
      name: 'agent',
      kind: 'AGENT',
      status: 'OK',
      input: { query: '<user_input>' },
      output: { answer: '<agent_output>' },
      model: null,
      error: null,
      metadata: {},
      started_at: '2026-01-01T00:00:00.000Z',
      ended_at: '2026-01-01T00:00:01.000Z',
      token_usage: null,
    },
  ],
};
