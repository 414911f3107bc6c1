import type { SpanKind } from '../../traces/traces.constants';

/** A tool call in the OpenAI shape the metrics' renderer recognises (render-trace.ts findToolCalls). */
export interface ToolCall {
  id?: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A chat message in the OpenAI shape, whichever convention it came in. */
export interface ChatMessage {
  role: string;
  content?: unknown;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  name?: string;
}

/** What one convention read from a span; undefined means "this convention does not say". */
export interface SpanFacts {
  kind?: SpanKind;
  model?: string;
  promptTokens?: number;
  completionTokens?: number;
  totalTokens?: number;
  cost?: number;
  input?: unknown;
  output?: unknown;
  modelParameters?: Record<string, unknown>;
  sessionId?: string;
  userId?: string;
  tags?: string[];
}

/** A convention: the facts it reads, and which attribute keys it consumed (kept out of metadata). */
export interface Convention {
  name: string;
  read(
    attrs: Record<string, unknown>,
    events: { name: string; attributes: Record<string, unknown> }[],
    spanName: string,
  ): SpanFacts;
  consumes(key: string): boolean;
}

export function toolCall(name: unknown, args: unknown, id?: unknown): ToolCall | null {
  if (typeof name !== 'string' || !name) return null;
  const call: ToolCall = {
    type: 'function',
    function: { name, arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) },
  };
  if (typeof id === 'string' && id) call.id = id;
  return call;
}

/** Merges facts: the earlier convention wins where both say something (a plain loop: once per span). */
export function mergeFacts(list: SpanFacts[]): SpanFacts {
  const out: Record<string, unknown> = {};
  for (const facts of list) {
    for (const key in facts) {
      const value = (facts as Record<string, unknown>)[key];
      if (value !== undefined && out[key] === undefined) out[key] = value;
    }
  }
  return out as SpanFacts;
}
