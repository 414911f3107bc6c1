import type { SpanKind } from '../../../traces/traces.constants';
import { type ChatMessage, type Convention, type SpanFacts, type ToolCall, toolCall } from '../facts';
import { count, first, indexed, parseJsonText, text } from '../values';

/** traceloop.span.kind (OpenLLMetry) → our kind. */
const SPAN_KINDS: Record<string, SpanKind> = { workflow: 'CHAIN', task: 'CHAIN', agent: 'AGENT', tool: 'TOOL' };
/** llm.request.type (OpenLLMetry's LLM spans) → our kind. */
const REQUEST_KINDS: Record<string, SpanKind> = {
  chat: 'LLM',
  completion: 'LLM',
  embedding: 'EMBEDDING',
  rerank: 'RETRIEVER',
};

/** `gen_ai.prompt.<i>.role/content` and `gen_ai.completion.<i>.*` (OpenLLMetry's indexed messages). */
export function indexedMessages(attrs: Record<string, unknown>, prefix: string): ChatMessage[] | undefined {
  const items = indexed(attrs, prefix);
  if (items.length === 0) return undefined;
  return items.map((item) => {
    const message: ChatMessage = { role: text(item.role) ?? (prefix.endsWith('completion') ? 'assistant' : 'user') };
    if (item.content !== undefined) message.content = parseJsonText(item.content);
    const calls = indexed(item, 'tool_calls')
      .map((c) => toolCall(c.name, c.arguments, c.id))
      .filter((c): c is ToolCall => c !== null);
    if (calls.length) message.tool_calls = calls;
    const callId = text(item.tool_call_id);
    if (callId) message.tool_call_id = callId;
    return message;
  });
}

/** OpenLLMetry (Traceloop): traceloop.span.kind, traceloop.entity.input/output, indexed gen_ai.prompt/completion, llm.usage.* . */
export const traceloopConvention: Convention = {
  name: 'traceloop',
  consumes: (key) => key.startsWith('traceloop.') || key.startsWith('llm.'),
  read(attrs): SpanFacts {
    const kind =
      SPAN_KINDS[text(attrs['traceloop.span.kind']) ?? ''] ?? REQUEST_KINDS[text(attrs['llm.request.type']) ?? ''];
    const prompt = indexedMessages(attrs, 'gen_ai.prompt');
    const completion = indexedMessages(attrs, 'gen_ai.completion');
    const entityInput = parseJsonText(attrs['traceloop.entity.input']);
    const entityOutput = parseJsonText(attrs['traceloop.entity.output']);
    return {
      kind,
      input: prompt ? { messages: prompt } : unwrapEntity(entityInput, 'inputs'),
      output: completion ? { messages: completion } : unwrapEntity(entityOutput, 'outputs'),
      totalTokens: count(first(attrs, ['llm.usage.total_tokens'])),
    };
  },
};

/** traceloop.entity.input is `{"inputs": …, "args": …, "kwargs": …}` for decorated functions: keep what was passed. */
function unwrapEntity(value: unknown, key: string): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value) && key in value) {
    return (value as Record<string, unknown>)[key];
  }
  return value;
}
