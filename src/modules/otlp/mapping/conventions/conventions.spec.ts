import { genAiConvention } from './gen-ai';
import { identityConvention } from './identity';
import { openInferenceConvention } from './openinference';
import { traceloopConvention } from './traceloop';
import { vercelAiConvention } from './vercel-ai';
import type { Convention } from '../facts';

/** What a convention reads from span attributes alone (no events, no span name). */
const readAttrs = (convention: Convention, attrs: Record<string, unknown>) => convention.read(attrs, [], '');

const CALL = { id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"id":1}' } };

/** The messages read from a chat whose prompt ends with the result of call c1 and whose answer is CALL. */
const toolRoundTrip = (prompt: { role: string; content: string }[], result: string) => ({
  input: { messages: [...prompt, { role: 'tool', content: result, tool_call_id: 'c1' }] },
  output: { messages: [{ role: 'assistant', tool_calls: [CALL] }] },
});

describe('GenAI semantic conventions', () => {
  it.each([
    ['chat', 'LLM'],
    ['text_completion', 'LLM'],
    ['embeddings', 'EMBEDDING'],
    ['execute_tool', 'TOOL'],
    ['invoke_agent', 'AGENT'],
    ['retrieval', 'RETRIEVER'],
    ['other', undefined],
  ])('reads gen_ai.operation.name %s as kind %s', (op, kind) => {
    expect(readAttrs(genAiConvention, { 'gen_ai.operation.name': op }).kind).toBe(kind);
  });

  it('reads model, usage, parameters and parts messages with tool calls and tool results', () => {
    const facts = readAttrs(genAiConvention, {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'm-1',
      'gen_ai.response.model': 'm-1-2025',
      'gen_ai.usage.input_tokens': 10,
      'gen_ai.usage.output_tokens': 2,
      'gen_ai.request.temperature': 0.5,
      'gen_ai.system_instructions': 'Be brief.',
      'gen_ai.input.messages': JSON.stringify([
        { role: 'user', parts: [{ type: 'text', content: 'hi' }] },
        { role: 'tool', parts: [{ type: 'tool_call_response', id: 'c1', response: { ok: true } }] },
      ]),
      'gen_ai.output.messages': JSON.stringify([
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'lookup', arguments: { id: 1 } }] },
      ]),
      'gen_ai.conversation.id': 'conv-1',
    });
    expect(facts).toMatchObject({
      model: 'm-1-2025',
      promptTokens: 10,
      completionTokens: 2,
      modelParameters: { temperature: 0.5 },
      sessionId: 'conv-1',
      ...toolRoundTrip(
        [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'hi' },
        ],
        '{"ok":true}',
      ),
    });
  });

  it('reads messages from events: per-role prompts and gen_ai.choice with tool calls', () => {
    const facts = genAiConvention.read(
      { 'gen_ai.operation.name': 'chat' },
      [
        { name: 'gen_ai.system.message', attributes: { content: 'sys' } },
        { name: 'gen_ai.user.message', attributes: { content: 'q' } },
        { name: 'gen_ai.choice', attributes: { message: JSON.stringify({ content: null, tool_calls: [CALL] }) } },
      ],
      '',
    );
    expect(facts.input).toEqual({
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'q' },
      ],
    });
    expect(facts.output).toEqual({ messages: [{ role: 'assistant', content: null, tool_calls: [CALL] }] });
  });

  it('reads a tool span: arguments as input, result as output', () => {
    const facts = readAttrs(genAiConvention, {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.call.arguments': '{"id":1}',
      'gen_ai.tool.call.result': 'done',
    });
    expect(facts).toMatchObject({ kind: 'TOOL', input: { id: 1 }, output: 'done' });
  });
});

describe('OpenInference', () => {
  // Every span kind maps to itself but RERANKER (a RETRIEVER) and the unknown ones (OTHER), in any case.
  it.each([
    ['LLM', 'LLM'],
    ['TOOL', 'TOOL'],
    ['RETRIEVER', 'RETRIEVER'],
    ['EMBEDDING', 'EMBEDDING'],
    ['AGENT', 'AGENT'],
    ['CHAIN', 'CHAIN'],
    ['RERANKER', 'RETRIEVER'],
    ['GUARDRAIL', 'OTHER'],
    ['llm', 'LLM'],
  ])('maps openinference.span.kind %s to %s', (spanKind, kind) => {
    expect(readAttrs(openInferenceConvention, { 'openinference.span.kind': spanKind }).kind).toBe(kind);
  });

  it('reads flattened messages with tool calls, token counts, parameters, session, user and tags', () => {
    const facts = readAttrs(openInferenceConvention, {
      'openinference.span.kind': 'LLM',
      'llm.model_name': 'gpt-x',
      'llm.token_count.prompt': 7,
      'llm.token_count.completion': 3,
      'llm.invocation_parameters': '{"temperature":0}',
      'llm.input_messages.0.message.role': 'user',
      'llm.input_messages.0.message.content': 'q',
      'llm.input_messages.1.message.role': 'tool',
      'llm.input_messages.1.message.contents.0.message_content.text': 'r',
      'llm.input_messages.1.message.tool_call_id': 'c1',
      'llm.output_messages.0.message.role': 'assistant',
      'llm.output_messages.0.message.tool_calls.0.tool_call.id': 'c1',
      'llm.output_messages.0.message.tool_calls.0.tool_call.function.name': 'lookup',
      'llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments': '{"id":1}',
      'session.id': 's',
      'user.id': 'u',
      'tag.tags': ['a', 'b'],
    });
    expect(facts).toMatchObject({
      kind: 'LLM',
      model: 'gpt-x',
      promptTokens: 7,
      completionTokens: 3,
      modelParameters: { temperature: 0 },
      ...toolRoundTrip([{ role: 'user', content: 'q' }], 'r'),
      sessionId: 's',
      userId: 'u',
      tags: ['a', 'b'],
    });
  });

  it('reads input.value / output.value, parsing JSON, and retrieval documents', () => {
    expect(
      readAttrs(openInferenceConvention, {
        'input.value': '{"q":1}',
        'input.mime_type': 'application/json',
        'output.value': 'plain',
      }),
    ).toMatchObject({
      input: { q: 1 },
      output: 'plain',
    });
    const retriever = readAttrs(openInferenceConvention, {
      'openinference.span.kind': 'RETRIEVER',
      'retrieval.documents.0.document.content': 'doc',
      'retrieval.documents.0.document.score': 0.5,
    });
    expect(retriever.output).toEqual([{ content: 'doc', score: 0.5 }]);
  });
});

describe('OpenLLMetry (Traceloop)', () => {
  it('maps traceloop.span.kind and llm.request.type', () => {
    const kind = (a: Record<string, unknown>) => readAttrs(traceloopConvention, a).kind;
    expect(kind({ 'traceloop.span.kind': 'workflow' })).toBe('CHAIN');
    expect(kind({ 'traceloop.span.kind': 'agent' })).toBe('AGENT');
    expect(kind({ 'traceloop.span.kind': 'tool' })).toBe('TOOL');
    expect(kind({ 'llm.request.type': 'chat' })).toBe('LLM');
    expect(kind({ 'llm.request.type': 'embedding' })).toBe('EMBEDDING');
  });

  it('reads indexed prompts and completions with tool calls, and entity input/output', () => {
    const facts = readAttrs(traceloopConvention, {
      'gen_ai.prompt.0.role': 'user',
      'gen_ai.prompt.0.content': 'q',
      'gen_ai.completion.0.role': 'assistant',
      'gen_ai.completion.0.tool_calls.0.id': 'c1',
      'gen_ai.completion.0.tool_calls.0.name': 'lookup',
      'gen_ai.completion.0.tool_calls.0.arguments': '{"id":1}',
      'llm.usage.total_tokens': 9,
    });
    expect(facts).toMatchObject({
      input: { messages: [{ role: 'user', content: 'q' }] },
      output: { messages: [{ role: 'assistant', tool_calls: [CALL] }] },
      totalTokens: 9,
    });
    const task = readAttrs(traceloopConvention, {
      'traceloop.span.kind': 'task',
      'traceloop.entity.input': '{"inputs":{"x":1}}',
      'traceloop.entity.output': '"ok"',
    });
    expect(task).toMatchObject({ kind: 'CHAIN', input: { x: 1 }, output: 'ok' });
  });
});

describe('Vercel AI SDK (ai.*)', () => {
  it.each([
    ['ai.generateText', 'AGENT'],
    ['ai.generateText.doGenerate', 'LLM'],
    ['ai.streamText.doStream', 'LLM'],
    ['ai.toolCall', 'TOOL'],
    ['ai.embedMany', 'EMBEDDING'],
    ['http', undefined],
  ])('maps the operation (span name) %s to kind %s', (name, kind) => {
    expect(vercelAiConvention.read({}, [], name).kind).toBe(kind);
  });

  it('reads prompt messages with tool results, the response with tool calls, usage and the model', () => {
    const facts = vercelAiConvention.read(
      {
        'ai.model.id': 'gpt-4o-mini',
        'ai.usage.inputTokens': 5,
        'ai.usage.outputTokens': 1,
        'ai.prompt.messages': JSON.stringify([
          { role: 'system', content: 'sys' },
          { role: 'user', content: [{ type: 'text', text: 'q' }] },
          { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c1', toolName: 'lookup', output: { ok: 1 } }] },
        ]),
        'ai.response.toolCalls': JSON.stringify([{ toolCallId: 'c1', toolName: 'lookup', input: '{"id":1}' }]),
      },
      [],
      'ai.generateText.doGenerate',
    );
    expect(facts).toMatchObject({
      kind: 'LLM',
      model: 'gpt-4o-mini',
      promptTokens: 5,
      completionTokens: 1,
      ...toolRoundTrip(
        [
          { role: 'system', content: 'sys' },
          { role: 'user', content: 'q' },
        ],
        '{"ok":1}',
      ),
    });
  });

  it('reads a tool call span and a prompt given as {system, prompt}', () => {
    expect(
      vercelAiConvention.read({ 'ai.toolCall.args': '{"id":1}', 'ai.toolCall.result': '{"ok":1}' }, [], 'ai.toolCall'),
    ).toMatchObject({
      kind: 'TOOL',
      input: { id: 1 },
      output: { ok: 1 },
    });
    expect(
      vercelAiConvention.read(
        { 'ai.prompt': '{"system":"s","prompt":"q"}', 'ai.response.text': 'a' },
        [],
        'ai.generateText',
      ),
    ).toMatchObject({
      input: {
        messages: [
          { role: 'system', content: 's' },
          { role: 'user', content: 'q' },
        ],
      },
      output: { messages: [{ role: 'assistant', content: 'a' }] },
    });
  });
});

describe('session, user and tags', () => {
  it.each([
    ['session.id', 'user.id'],
    ['gen_ai.conversation.id', 'enduser.id'],
    ['langfuse.session.id', 'langfuse.user.id'],
    ['ai.telemetry.metadata.sessionId', 'ai.telemetry.metadata.userId'],
    ['ai.settings.context.sessionId', 'ai.settings.context.userId'],
  ])('reads %s and %s', (sessionKey, userKey) => {
    expect(readAttrs(identityConvention, { [sessionKey]: 's-1', [userKey]: 'u-1' })).toMatchObject({
      sessionId: 's-1',
      userId: 'u-1',
    });
    expect(identityConvention.consumes(sessionKey) && identityConvention.consumes(userKey)).toBe(true);
  });

  it('prefers session.id over the others, and reads tags as a list or as JSON or comma text', () => {
    expect(readAttrs(identityConvention, { 'langfuse.session.id': 'b', 'session.id': 'a' }).sessionId).toBe('a');
    expect(readAttrs(identityConvention, { 'tag.tags': ['x', 'y'] }).tags).toEqual(['x', 'y']);
    expect(readAttrs(identityConvention, { 'langfuse.trace.tags': '["x"]' }).tags).toEqual(['x']);
    expect(readAttrs(identityConvention, { 'ai.telemetry.metadata.tags': 'x, y' }).tags).toEqual(['x', 'y']);
  });
});
