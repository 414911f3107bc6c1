/**
 * A scripted OpenAI-compatible judge server: a real HTTP server offering
 * POST /v1/chat/completions, POST /v1/responses (OpenAI's Responses API) and POST /v1/embeddings,
 * so the real AI SDK provider code runs in tests and local trials. Answers are chosen per stage
 * (`metric.stage`), read from the structured-output schema name `pp-<metric>-<stage>` or the
 * prompt's `[stage: metric.stage]` line. The Anthropic and Gemini protocols are in ./anthropic and
 * ./gemini; the shared machinery in ./core.
 *
 *   const server = await startJudgeServer();
 *   // OPENAI_BASE_URL=server.baseUrl, EVAL_LLM_MODEL=openai/judge-test
 *   server.answer('task_completion.score', { verdict: 0.9, reason: 'done' });
 *   server.fault({ status: 429, retryAfter: '1', count: 2 });
 *   ...
 *   await server.close();
 */
import { stageFrom, startScriptedServer, type JudgeServer, type JudgeServerOptions, type Protocol } from './core';

export { hashVector } from './core';
export type { AnswerSource, FaultSpec, JudgeServer, JudgeServerOptions, LoggedRequest, StageAnswer } from './core';
export { startAnthropicServer } from './anthropic';
export { startGeminiServer } from './gemini';

const isResponses = (path: string) => path.endsWith('/responses');

function lastUserText(body: any): string {
  if (Array.isArray(body?.input) || typeof body?.input === 'string') return responsesUserText(body);
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  const users = messages.filter((m) => m.role === 'user');
  const content = users.length ? users[users.length - 1].content : '';
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p: any) => (typeof p === 'string' ? p : (p?.text ?? ''))).join('');
  return '';
}

function responsesUserText(body: any): string {
  if (typeof body.input === 'string') return body.input;
  const users = (body.input as any[]).filter((m) => m?.role === 'user');
  const content = users.length ? users[users.length - 1].content : '';
  if (typeof content === 'string') return content;
  return Array.isArray(content) ? content.map((p: any) => p?.text ?? '').join('') : '';
}

/** `stage` from the schema name (chat: response_format; Responses: text.format) or the prompt. */
export function stageOf(body: any): string | null {
  const name: string | undefined = body?.response_format?.json_schema?.name ?? body?.text?.format?.name;
  return stageFrom(name, lastUserText(body));
}

function schemaOf(body: any): any {
  return (
    body?.response_format?.json_schema?.schema ?? body?.text?.format?.schema ?? body?.tools?.[0]?.function?.parameters
  );
}

const openaiProtocol: Protocol = {
  basePath: '/v1',
  route(method, path) {
    if (method !== 'POST') return null;
    if (path === '/v1/chat/completions' || path === '/v1/responses') return 'chat';
    if (path === '/v1/embeddings') return 'embeddings';
    return null;
  },
  authorized: (headers, apiKey) => headers.authorization === `Bearer ${apiKey}`,
  invalid(endpoint, path, body) {
    if (typeof body?.model !== 'string' || !body.model) return "Missing required parameter: 'model'.";
    if (endpoint === 'embeddings') {
      const input = body.input;
      const ok =
        typeof input === 'string' ||
        (Array.isArray(input) && input.length > 0 && input.every((t: unknown) => typeof t === 'string'));
      return ok ? null : "Invalid 'input': expected a string or a non-empty array of strings.";
    }
    if (isResponses(path)) {
      if (typeof body.input !== 'string' && !Array.isArray(body.input)) return "Missing required parameter: 'input'.";
      const format = body.text?.format;
      if (format?.type === 'json_schema' && (typeof format.name !== 'string' || typeof format.schema !== 'object'))
        return "Missing required parameter: 'text.format.name' or 'text.format.schema'.";
      return null;
    }
    if (!Array.isArray(body.messages) || body.messages.length === 0) return "Missing required parameter: 'messages'.";
    const rf = body.response_format;
    if (
      rf?.type === 'json_schema' &&
      (typeof rf.json_schema?.name !== 'string' || typeof rf.json_schema?.schema !== 'object')
    )
      return "Missing required parameter: 'response_format.json_schema.name' or '.schema'.";
    return null;
  },
  asksStructured: (body) =>
    Boolean(body.response_format && body.response_format.type !== 'text') || body.text?.format?.type === 'json_schema',
  stage: (_endpoint, body) => stageOf(body),
  prompt: (endpoint, body) => (endpoint === 'chat' ? lastUserText(body) : JSON.stringify(body.input ?? '')),
  schema: schemaOf,
  inputChars(body) {
    let n = 0;
    const parts: any[] = Array.isArray(body?.messages)
      ? body.messages
      : Array.isArray(body?.input)
        ? body.input
        : [body?.input ?? ''];
    for (const m of parts)
      n += typeof m?.content === 'string' ? m.content.length : JSON.stringify(m?.content ?? m ?? '').length;
    if (body?.response_format) n += JSON.stringify(body.response_format).length;
    if (body?.text?.format) n += JSON.stringify(body.text.format).length;
    if (body?.tools) n += JSON.stringify(body.tools).length;
    return n;
  },
  chatBody(path, body, { content, usage }, id) {
    const created = Math.floor(Date.now() / 1000);
    if (isResponses(path)) {
      return {
        id: `resp_${id}`,
        object: 'response',
        created_at: created,
        status: 'completed',
        model: body.model,
        output: [
          {
            type: 'message',
            id: `msg_${id}`,
            status: 'completed',
            role: 'assistant',
            content: [{ type: 'output_text', text: content, annotations: [] }],
          },
        ],
        incomplete_details: null,
        ...(usage && {
          usage: {
            input_tokens: usage.input,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: usage.output,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: usage.input + usage.output,
          },
        }),
      };
    }
    const useTool = Array.isArray(body.tools) && body.tools.length > 0;
    const message = useTool
      ? {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: `call_${id}`, type: 'function', function: { name: pickTool(body), arguments: content } }],
        }
      : { role: 'assistant', content };
    return {
      id: `chatcmpl-${id}`,
      object: 'chat.completion',
      created,
      model: body.model,
      choices: [{ index: 0, message, finish_reason: useTool ? 'tool_calls' : 'stop', logprobs: null }],
      ...(usage && {
        usage: {
          prompt_tokens: usage.input,
          completion_tokens: usage.output,
          total_tokens: usage.input + usage.output,
        },
      }),
    };
  },
  embedTexts: (_path, body) => (Array.isArray(body.input) ? body.input : [body.input]),
  embedBody(_path, body, vectors, usage) {
    const base64 = body.encoding_format === 'base64';
    return {
      object: 'list',
      data: vectors.map((vec, index) => ({
        object: 'embedding',
        index,
        embedding: base64 ? Buffer.from(new Float32Array(vec).buffer).toString('base64') : vec,
      })),
      model: body.model,
      ...(usage && { usage: { prompt_tokens: usage.input, total_tokens: usage.input } }),
    };
  },
  errorBody: (status, message) => ({
    error: {
      message,
      type:
        status === 429
          ? 'rate_limit_error'
          : status === 401
            ? 'invalid_request_error'
            : status < 500
              ? 'invalid_request_error'
              : 'server_error',
      param: null,
      code: null,
    },
  }),
  faultMessage: (status) =>
    status === 401
      ? 'Incorrect API key provided.'
      : status === 429
        ? 'Rate limit reached.'
        : 'The server had an error.',
};

function pickTool(body: any): string {
  const choice = body.tool_choice;
  if (choice && typeof choice === 'object' && choice.function?.name) return choice.function.name;
  return body.tools[0]?.function?.name ?? 'json';
}

/** The OpenAI-compatible server (chat completions, Responses, embeddings). */
export function startJudgeServer(options: JudgeServerOptions = {}): Promise<JudgeServer> {
  return startScriptedServer(openaiProtocol, options);
}
