import { randomUUID } from 'node:crypto';
import type { TestApp } from '../support/test-app';
import type { Tenant } from '../support/tenancy';

/** Wire-format span for POST /traces (snake_case keys, as the SDKs send them). */
export type SpanPayload = Record<string, unknown> & { span_id: string; name: string; started_at: string };
/** Wire-format trace for POST /traces. */
export type TracePayload = Record<string, unknown> & {
  trace_id: string;
  name: string;
  started_at: string;
  spans?: SpanPayload[];
};

let sequence = 0;
const BASE = Date.UTC(2026, 0, 15, 12, 0, 0);

/** An ISO timestamp `offsetMs` after a fixed base instant (deterministic tests). */
export const at = (offsetMs: number): string => new Date(BASE + offsetMs).toISOString();

export function buildSpan(overrides: Partial<SpanPayload> = {}): SpanPayload {
  sequence += 1;
  return {
    span_id: randomUUID(),
    name: `span-${sequence}`,
    kind: 'LLM',
    status: 'OK',
    model: 'gpt-4o-mini',
    input: { messages: [{ role: 'user', content: `question ${sequence}` }] },
    output: { messages: [{ role: 'assistant', content: `answer ${sequence}` }] },
    token_usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    cost: { input: 0.001, output: 0.0005, total: 0.0015 },
    started_at: at(100),
    ended_at: at(600),
    ...overrides,
  };
}

export function buildTrace(overrides: Partial<TracePayload> = {}): TracePayload {
  sequence += 1;
  return {
    trace_id: randomUUID(),
    name: `trace-${sequence}`,
    status: 'COMPLETED',
    input: { messages: [{ role: 'user', content: 'hello' }] },
    output: { messages: [{ role: 'assistant', content: 'hi' }] },
    started_at: at(0),
    ended_at: at(1000),
    spans: [buildSpan()],
    ...overrides,
  };
}

/** A trace of `n` spans: an AGENT root with TOOL and LLM children (children listed first, as SDKs do). */
export function buildTraceTree(n: number, overrides: Partial<TracePayload> = {}): TracePayload {
  const root = buildSpan({
    kind: 'AGENT',
    name: 'agent',
    model: null,
    token_usage: null,
    cost: null,
    started_at: at(0),
    ended_at: at(1000),
  });
  const children = Array.from({ length: Math.max(0, n - 1) }, (_, i) =>
    buildSpan({
      parent_span_id: root.span_id,
      kind: i % 2 === 0 ? 'LLM' : 'TOOL',
      started_at: at(10 + i),
      ended_at: at(20 + i),
    }),
  );
  return buildTrace({ spans: [...children, root], ...overrides });
}

/** Posts a trace through the API and returns the accepted trace id. */
export async function ingestTrace(
  t: TestApp,
  tenant: Tenant,
  overrides: Partial<TracePayload> = {},
): Promise<TracePayload> {
  const trace = buildTrace(overrides);
  const res = await t.http.post('/traces').set(tenant.headers).send(trace);
  if (res.status !== 202) throw new Error(`ingest failed: ${res.status} ${JSON.stringify(res.body)}`);
  return trace;
}
