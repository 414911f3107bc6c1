import { SPAN_KINDS, type SpanKind } from '../../../traces/traces.constants';
import { type ChatMessage, type Convention, type SpanFacts, type ToolCall, toolCall } from '../facts';
import { count, first, indexed, parseJsonText, text } from '../values';

/** openinference.span.kind values without a kind of ours. */
const OTHER_KINDS: Record<string, SpanKind> = { RERANKER: 'RETRIEVER', GUARDRAIL: 'OTHER', EVALUATOR: 'OTHER' };

const PREFIXES = [
  'openinference.',
  'llm.',
  'input.',
  'output.',
  'tool.',
  'tool_call.',
  'retrieval.',
  'embedding.',
  'tag.',
];
const KEYS = new Set(['session.id', 'user.id', 'metadata']);

/** `llm.input_messages.<i>.message.*` as OpenAI-style messages, tool calls included. */
export function flattenedMessages(attrs: Record<string, unknown>, prefix: string): ChatMessage[] | undefined {
  const items = indexed(attrs, prefix);
  if (items.length === 0) return undefined;
  return items.map((item) => {
    const message: ChatMessage = { role: text(item['message.role']) ?? 'user' };
    const content = item['message.content'] ?? contentsText(item);
    if (content !== undefined) message.content = content;
    const calls = indexed(item, 'message.tool_calls')
      .map((c) => toolCall(c['tool_call.function.name'], c['tool_call.function.arguments'], c['tool_call.id']))
      .filter((c): c is ToolCall => c !== null);
    if (calls.length) message.tool_calls = calls;
    const callId = text(item['message.tool_call_id']);
    if (callId) message.tool_call_id = callId;
    const name = text(item['message.name']);
    if (name) message.name = name;
    return message;
  });
}

/** `message.contents.<j>.message_content.text` parts joined. */
function contentsText(item: Record<string, unknown>): string | undefined {
  const parts = indexed(item, 'message.contents')
    .map((p) => p['message_content.text'])
    .filter((t): t is string => typeof t === 'string');
  return parts.length ? parts.join('\n') : undefined;
}

/** `input.value` with its mime type: JSON text is parsed. */
const valueOf = (attrs: Record<string, unknown>, side: 'input' | 'output') =>
  attrs[`${side}.mime_type`] === 'application/json' || typeof attrs[`${side}.value`] === 'string'
    ? parseJsonText(attrs[`${side}.value`])
    : attrs[`${side}.value`];

function kindOf(attrs: Record<string, unknown>): SpanKind | undefined {
  const kind = text(attrs['openinference.span.kind'])?.toUpperCase();
  if (!kind) return undefined;
  return (SPAN_KINDS as readonly string[]).includes(kind) ? (kind as SpanKind) : (OTHER_KINDS[kind] ?? 'OTHER');
}

function documents(attrs: Record<string, unknown>): unknown[] | undefined {
  const docs = indexed(attrs, 'retrieval.documents').map((d) =>
    Object.fromEntries(Object.entries(d).map(([k, v]) => [k.replace(/^document\./, ''), parseJsonText(v)])),
  );
  return docs.length ? docs : undefined;
}

/** OpenInference (Arize Phoenix): openinference.span.kind, llm.*, input.value / output.value, tool.* . */
export const openInferenceConvention: Convention = {
  name: 'openinference',
  consumes: (key) => KEYS.has(key) || PREFIXES.some((p) => key.startsWith(p)),
  read(attrs): SpanFacts {
    const inputMessages = flattenedMessages(attrs, 'llm.input_messages');
    const outputMessages = flattenedMessages(attrs, 'llm.output_messages');
    const parameters = parseJsonText(attrs['llm.invocation_parameters']);
    const tags = attrs['tag.tags'];
    const kind = kindOf(attrs);
    return {
      kind,
      model: text(attrs['llm.model_name'] ?? attrs['embedding.model_name']),
      promptTokens: count(attrs['llm.token_count.prompt']),
      completionTokens: count(attrs['llm.token_count.completion']),
      totalTokens: count(attrs['llm.token_count.total']),
      cost: count(first(attrs, ['llm.cost.total'])),
      input: inputMessages
        ? { messages: inputMessages }
        : (valueOf(attrs, 'input') ?? (kind === 'TOOL' ? parseJsonText(attrs['tool.parameters']) : undefined)),
      output: outputMessages
        ? { messages: outputMessages }
        : (valueOf(attrs, 'output') ?? (kind === 'RETRIEVER' ? documents(attrs) : undefined)),
      modelParameters:
        parameters && typeof parameters === 'object' && !Array.isArray(parameters)
          ? (parameters as Record<string, unknown>)
          : undefined,
      sessionId: text(attrs['session.id']),
      userId: text(attrs['user.id']),
      tags: Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : undefined,
    };
  },
};
