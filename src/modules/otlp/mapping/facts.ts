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

/** Drops undefined keys, so `{...a, ...b}` never overwrites a fact with nothing. */
export function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Merges facts: the earlier convention wins where both say something. */
export function mergeFacts(list: SpanFacts[]): SpanFacts {
  return list.reduceRight<SpanFacts>((acc, facts) => ({ ...acc, ...defined(facts) }), {});
}
