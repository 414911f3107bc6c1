import type { SpanKind } from '../../../traces/traces.constants';
import { type ChatMessage, type Convention, type SpanFacts, type ToolCall, toolCall } from '../facts';
import { count, first, parseJsonText, text } from '../values';

/**
 * The Vercel AI SDK's own attributes (`ai.*`; the LegacyOpenTelemetry integration of AI SDK 7 and
 * the telemetry of earlier versions). The span name is the operation: `ai.generateText` (the agent
 * loop), `ai.generateText.doGenerate` (one model call), `ai.toolCall`, `ai.embed…`.
 */
function kindOf(operation: string | undefined): SpanKind | undefined {
  if (!operation || !operation.startsWith('ai.')) return undefined;
  if (operation === 'ai.toolCall') return 'TOOL';
  if (operation.endsWith('.doGenerate') || operation.endsWith('.doStream')) return 'LLM';
  if (operation.startsWith('ai.embed')) return 'EMBEDDING';
  if (operation === 'ai.rerank') return 'RETRIEVER';
  if (/^ai\.(generateText|streamText|generateObject|streamObject)$/.test(operation)) return 'AGENT';
  return undefined;
}

type Part = Record<string, unknown>;

/** An AI SDK prompt message (`content` a string or typed parts) in OpenAI shape. */
export function fromAiSdkMessage(message: unknown): ChatMessage | null {
  if (!message || typeof message !== 'object') return null;
  const m = message as { role?: unknown; content?: unknown };
  const out: ChatMessage = { role: typeof m.role === 'string' ? m.role : 'user' };
  if (!Array.isArray(m.content)) {
    out.content = m.content;
    return out;
  }
  const texts: string[] = [];
  const calls: ToolCall[] = [];
  for (const part of m.content as Part[]) {
    if (part?.type === 'text' || part?.type === 'reasoning') texts.push(String(part.text ?? ''));
    else if (part?.type === 'tool-call') {
      const call = toolCall(part.toolName, part.input ?? part.args, part.toolCallId);
      if (call) calls.push(call);
    } else if (part?.type === 'tool-result') {
      out.tool_call_id = typeof part.toolCallId === 'string' ? part.toolCallId : undefined;
      const result = part.output ?? part.result;
      texts.push(typeof result === 'string' ? result : JSON.stringify(result ?? null));
    }
  }
  if (texts.length) out.content = texts.join('\n');
  if (calls.length) out.tool_calls = calls;
  return out;
}

function promptMessages(attrs: Record<string, unknown>): ChatMessage[] | undefined {
  const list = parseJsonText(attrs['ai.prompt.messages']);
  if (Array.isArray(list)) return list.map(fromAiSdkMessage).filter((m): m is ChatMessage => m !== null);
  const prompt = parseJsonText(attrs['ai.prompt']);
  if (!prompt || typeof prompt !== 'object')
    return typeof prompt === 'string' ? [{ role: 'user', content: prompt }] : undefined;
  const p = prompt as { system?: unknown; prompt?: unknown; messages?: unknown };
  const messages: ChatMessage[] = [];
  if (typeof p.system === 'string') messages.push({ role: 'system', content: p.system });
  if (typeof p.prompt === 'string') messages.push({ role: 'user', content: p.prompt });
  if (Array.isArray(p.messages))
    messages.push(...p.messages.map(fromAiSdkMessage).filter((m): m is ChatMessage => m !== null));
  return messages.length ? messages : undefined;
}

function responseMessage(attrs: Record<string, unknown>): ChatMessage | undefined {
  const textOut = text(attrs['ai.response.text']);
  const calls = parseJsonText(attrs['ai.response.toolCalls']);
  const toolCalls = Array.isArray(calls)
    ? calls
        .map((c: Part) => toolCall(c?.toolName, c?.input ?? c?.args, c?.toolCallId))
        .filter((c): c is ToolCall => c !== null)
    : [];
  const object = attrs['ai.response.object'];
  if (textOut === undefined && toolCalls.length === 0 && object === undefined) return undefined;
  const message: ChatMessage = { role: 'assistant' };
  if (textOut !== undefined) message.content = textOut;
  else if (object !== undefined) message.content = parseJsonText(object);
  if (toolCalls.length) message.tool_calls = toolCalls;
  return message;
}

export const vercelAiConvention: Convention = {
  name: 'vercel-ai',
  consumes: (key) => key.startsWith('ai.') || key === 'operation.name' || key === 'resource.name',
  read(attrs, _events, spanName): SpanFacts {
    const kind = kindOf(text(attrs['ai.operationId']) ?? spanName);
    const prompt = promptMessages(attrs);
    const response = responseMessage(attrs);
    const tool = kind === 'TOOL';
    return {
      kind,
      model: text(first(attrs, ['ai.response.model', 'ai.model.id'])),
      promptTokens: count(first(attrs, ['ai.usage.inputTokens', 'ai.usage.promptTokens'])),
      completionTokens: count(first(attrs, ['ai.usage.outputTokens', 'ai.usage.completionTokens'])),
      totalTokens: count(attrs['ai.usage.totalTokens']),
      input: tool
        ? parseJsonText(first(attrs, ['ai.toolCall.args', 'ai.toolCall.input']))
        : prompt && { messages: prompt },
      output: tool
        ? parseJsonText(first(attrs, ['ai.toolCall.result', 'ai.toolCall.output']))
        : response && { messages: [response] },
    };
  },
};
