import type { SpanKind } from '../../../traces/traces.constants';
import { type ChatMessage, type Convention, type SpanFacts, type ToolCall, toolCall } from '../facts';
import { count, first, parseJsonText, text } from '../values';

/** gen_ai.operation.name → our span kind (OpenTelemetry GenAI semantic conventions). */
const OPERATION_KINDS: Record<string, SpanKind> = {
  chat: 'LLM',
  text_completion: 'LLM',
  generate_content: 'LLM',
  embeddings: 'EMBEDDING',
  execute_tool: 'TOOL',
  invoke_agent: 'AGENT',
  create_agent: 'AGENT',
  invoke_workflow: 'CHAIN',
  agent_step: 'CHAIN', // the Vercel AI SDK's steps of an agent loop
  retrieval: 'RETRIEVER',
};

const PARAMETERS: Record<string, string> = {
  'gen_ai.request.temperature': 'temperature',
  'gen_ai.request.max_tokens': 'max_tokens',
  'gen_ai.request.top_p': 'top_p',
  'gen_ai.request.top_k': 'top_k',
  'gen_ai.request.frequency_penalty': 'frequency_penalty',
  'gen_ai.request.presence_penalty': 'presence_penalty',
  'gen_ai.request.seed': 'seed',
  'gen_ai.request.stop_sequences': 'stop',
};

type Part = Record<string, unknown>;

/** A message of gen_ai.input.messages / gen_ai.output.messages (role + typed parts) in OpenAI shape. */
export function fromPartsMessage(message: unknown): ChatMessage | null {
  if (!message || typeof message !== 'object') return null;
  const m = message as { role?: unknown; parts?: unknown; content?: unknown; tool_calls?: unknown };
  const role = typeof m.role === 'string' ? m.role : 'assistant';
  if (!Array.isArray(m.parts)) return legacyMessage(role, m as Record<string, unknown>);
  const texts: string[] = [];
  const calls: ToolCall[] = [];
  const out: ChatMessage = { role };
  for (const part of m.parts as Part[]) {
    if (!part || typeof part !== 'object') continue;
    if (part.type === 'text' || part.type === 'reasoning') texts.push(String(part.content ?? ''));
    else if (part.type === 'tool_call') {
      const call = toolCall(part.name, part.arguments, part.id);
      if (call) calls.push(call);
    } else if (part.type === 'tool_call_response') {
      out.tool_call_id = typeof part.id === 'string' ? part.id : undefined;
      texts.push(
        typeof part.response === 'string' ? part.response : JSON.stringify(part.response ?? part.result ?? null),
      );
    }
  }
  if (texts.length) out.content = texts.join('\n');
  if (calls.length) out.tool_calls = calls;
  return out;
}

/** An event-style or already OpenAI-style message: content plus tool_calls as OpenAI spells them. */
function legacyMessage(role: string, m: Record<string, unknown>): ChatMessage {
  const out: ChatMessage = { role };
  if (m.content !== undefined) out.content = parseJsonText(m.content);
  const calls = parseJsonText(m.tool_calls);
  if (Array.isArray(calls)) {
    const mapped = calls
      .map((c: Record<string, unknown>) => {
        const fn = (c?.function ?? c) as Record<string, unknown>;
        return toolCall(fn?.name, fn?.arguments, c?.id);
      })
      .filter((c): c is ToolCall => c !== null);
    if (mapped.length) out.tool_calls = mapped;
  }
  if (typeof m.id === 'string' && role === 'tool') out.tool_call_id = m.id;
  return out;
}

const messagesOf = (value: unknown): ChatMessage[] | undefined => {
  const list = parseJsonText(value);
  if (!Array.isArray(list)) return undefined;
  const messages = list.map(fromPartsMessage).filter((m): m is ChatMessage => m !== null);
  return messages.length ? messages : undefined;
};

const EVENT_ROLES: Record<string, string> = {
  'gen_ai.system.message': 'system',
  'gen_ai.user.message': 'user',
  'gen_ai.assistant.message': 'assistant',
  'gen_ai.tool.message': 'tool',
};

/** Messages carried as span events (GenAI conventions before 1.37): prompts per role, gen_ai.choice answers. */
export function eventMessages(events: { name: string; attributes: Record<string, unknown> }[]): {
  input?: ChatMessage[];
  output?: ChatMessage[];
} {
  const input: ChatMessage[] = [];
  const output: ChatMessage[] = [];
  for (const event of events) {
    const a = event.attributes;
    if (event.name === 'gen_ai.client.inference.operation.details') {
      input.push(...(messagesOf(a['gen_ai.input.messages']) ?? []));
      output.push(...(messagesOf(a['gen_ai.output.messages']) ?? []));
    } else if (EVENT_ROLES[event.name]) {
      input.push(legacyMessage(EVENT_ROLES[event.name], { ...a, content: a.content ?? a.body }));
    } else if (event.name === 'gen_ai.choice') {
      const message = parseJsonText(a.message ?? a.body);
      const m = message && typeof message === 'object' ? (message as Record<string, unknown>) : { content: message };
      output.push(legacyMessage(typeof m.role === 'string' ? m.role : 'assistant', m));
    }
  }
  return { input: input.length ? input : undefined, output: output.length ? output : undefined };
}

function kindOf(attrs: Record<string, unknown>): SpanKind | undefined {
  const operation = text(attrs['gen_ai.operation.name']);
  return operation ? OPERATION_KINDS[operation] : undefined;
}

/** OpenTelemetry GenAI semantic conventions (`gen_ai.*`), attributes and events. */
export const genAiConvention: Convention = {
  name: 'gen_ai',
  consumes: (key) => key.startsWith('gen_ai.'),
  read(attrs, events): SpanFacts {
    const kind = kindOf(attrs);
    const fromEvents = eventMessages(events);
    const system = text(attrs['gen_ai.system_instructions']);
    let input: unknown = messagesOf(attrs['gen_ai.input.messages']) ?? fromEvents.input;
    if (Array.isArray(input) && system) input = [{ role: 'system', content: parseJsonText(system) }, ...input];
    let output: unknown = messagesOf(attrs['gen_ai.output.messages']) ?? fromEvents.output;
    if (kind === 'TOOL') {
      input = parseJsonText(first(attrs, ['gen_ai.tool.call.arguments', 'gen_ai.tool.input'])) ?? input;
      output = parseJsonText(first(attrs, ['gen_ai.tool.call.result', 'gen_ai.tool.output'])) ?? output;
    }
    let parameters: Record<string, unknown> | undefined;
    for (const key in PARAMETERS) if (attrs[key] !== undefined) (parameters ??= {})[PARAMETERS[key]] = attrs[key];
    const promptTokens = count(first(attrs, ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens']));
    const completionTokens = count(first(attrs, ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens']));
    return {
      kind,
      model: text(first(attrs, ['gen_ai.response.model', 'gen_ai.request.model'])),
      promptTokens,
      completionTokens,
      totalTokens: count(attrs['gen_ai.usage.total_tokens']),
      cost: count(first(attrs, ['gen_ai.usage.cost', 'gen_ai.cost.total'])),
      input: Array.isArray(input) ? { messages: input } : input,
      output: Array.isArray(output) ? { messages: output } : output,
      modelParameters: parameters,
      sessionId: text(attrs['gen_ai.conversation.id']),
    };
  },
};
