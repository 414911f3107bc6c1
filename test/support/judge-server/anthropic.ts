/**
 * A scripted Anthropic Messages API server (`POST /v1/messages`), as @ai-sdk/anthropic calls it:
 * `x-api-key` and `anthropic-version` headers; structured output either as
 * `output_config.format` (json_schema, models with native structured output) or as a forced
 * `json` tool (`tool_choice: {type: "any"}`) for older models; `usage.input_tokens/output_tokens`;
 * errors as `{"type":"error","error":{"type":…,"message":…}}`, 429 `rate_limit_error` and
 * 529 `overloaded_error` with `retry-after`. Requests the real API would refuse get its 400.
 */
import { stageFrom, startScriptedServer, type JudgeServer, type JudgeServerOptions, type Protocol } from './core';

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

function userText(body: any): string {
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  const users = messages.filter((m) => m.role === 'user');
  const content = users.length ? users[users.length - 1].content : '';
  if (typeof content === 'string') return content;
  return Array.isArray(content) ? content.map((p: any) => (p?.type === 'text' ? p.text : '')).join('') : '';
}

const usesJsonTool = (body: any) => Array.isArray(body?.tools) && body.tools.length > 0;

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

const anthropicProtocol: Protocol = {
  basePath: '/v1',
  route: (method, path) => (method === 'POST' && path === '/v1/messages' ? 'chat' : null),
  authorized: (headers, apiKey) => headers['x-api-key'] === apiKey,
  invalid(_endpoint, _path, body, headers) {
    if (!headers['anthropic-version']) return 'anthropic-version: header is required';
    if (typeof body.model !== 'string' || !body.model) return 'model: Field required';
    if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) return 'max_tokens: Field required';
    if (!Array.isArray(body.messages) || body.messages.length === 0)
      return 'messages: at least one message is required';
    if (body.messages.some((m: any) => m.role !== 'user' && m.role !== 'assistant'))
      return "messages: roles must be 'user' or 'assistant' (system goes in the top-level system field)";
    if (body.messages[0].role !== 'user') return 'messages: first message must use the "user" role';
    if (
      body.temperature !== undefined &&
      (typeof body.temperature !== 'number' || body.temperature < 0 || body.temperature > 1)
    )
      return 'temperature: Input should be less than or equal to 1';
    if (body.tool_choice && !usesJsonTool(body)) return 'tool_choice may only be specified while providing tools.';
    if (
      usesJsonTool(body) &&
      body.tools.some((t: any) => typeof t.name !== 'string' || typeof t.input_schema !== 'object')
    )
      return 'tools: each tool needs a name and an input_schema';
    const format = body.output_config?.format;
    if (format && (format.type !== 'json_schema' || typeof format.schema !== 'object'))
      return 'output_config.format: expected {type: "json_schema", schema}';
    return null;
  },
  asksStructured: (body) => Boolean(body.output_config?.format),
  stage: (_e, body) => stageFrom(undefined, userText(body)),
  prompt: (_e, body) => userText(body),
  schema: (body) => body.output_config?.format?.schema ?? body.tools?.[0]?.input_schema,
  inputChars: (body) =>
    JSON.stringify(body.system ?? '').length +
    JSON.stringify(body.messages ?? []).length +
    JSON.stringify(body.tools ?? []).length +
    JSON.stringify(body.output_config ?? '').length,
  chatBody(_path, body, { content, usage }, id) {
    // In tool mode the answer is the tool's input (an object); an answer that is not one comes back
    // as text, as a model that ignored the tool would send it.
    const input = usesJsonTool(body) ? parseObject(content) : null;
    const blocks = input
      ? [{ type: 'tool_use', id: `toolu_${id}`, name: body.tools[0].name, input }]
      : [{ type: 'text', text: content }];
    return {
      id: `msg_${id}`,
      type: 'message',
      role: 'assistant',
      model: body.model,
      content: blocks,
      stop_reason: input ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      ...(usage && {
        usage: {
          input_tokens: usage.input,
          output_tokens: usage.output,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
        },
      }),
    };
  },
  embedTexts: () => [],
  embedBody: () => ({}),
  errorBody: (status, message) => ({ type: 'error', error: { type: ERROR_TYPES[status] ?? 'api_error', message } }),
  faultMessage: (status) =>
    status === 401
      ? 'invalid x-api-key'
      : status === 429
        ? 'Number of request tokens has exceeded your per-minute rate limit.'
        : status === 529
          ? 'Overloaded'
          : 'Internal server error',
};

/** The Anthropic Messages server; ANTHROPIC_BASE_URL = baseUrl (…/v1). */
export function startAnthropicServer(options: JudgeServerOptions = {}): Promise<JudgeServer> {
  return startScriptedServer(anthropicProtocol, options);
}
