/**
 * A scripted Gemini API server (Generative Language API, v1beta), as @ai-sdk/google calls it:
 * `POST /v1beta/models/{model}:generateContent` (structured output through
 * `generationConfig.responseMimeType` + `responseJsonSchema`, usage in `usageMetadata`),
 * `:embedContent` (one text) and `:batchEmbedContents` (several; each request must name the same
 * model as the path). Embeddings report no usage, as the real API. Key in `x-goog-api-key`.
 * Errors are `{"error":{"code","message","status","details"}}`; a 429 is `RESOURCE_EXHAUSTED` and
 * says how long to wait in a `google.rpc.RetryInfo` detail (`retryDelay`), not in a header.
 */
import { stageFrom, startScriptedServer, type JudgeServer, type JudgeServerOptions, type Protocol } from './core';

const ROUTE = /^\/v1beta\/models\/([^/:]+):(generateContent|embedContent|batchEmbedContents)$/;

const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const method = (path: string) => ROUTE.exec(path)?.[2];
const modelOf = (path: string) => ROUTE.exec(path)?.[1];

function userText(body: any): string {
  const contents: any[] = Array.isArray(body?.contents) ? body.contents : [];
  const users = contents.filter((c) => (c.role ?? 'user') === 'user');
  const parts: any[] = users.length ? (users[users.length - 1].parts ?? []) : [];
  return parts.map((p) => p?.text ?? '').join('');
}

const hasTextParts = (content: any) =>
  Array.isArray(content?.parts) &&
  content.parts.length > 0 &&
  content.parts.every((p: any) => typeof p?.text === 'string');

const geminiProtocol: Protocol = {
  basePath: '/v1beta',
  route: (m, path) =>
    m !== 'POST' || !ROUTE.test(path) ? null : method(path) === 'generateContent' ? 'chat' : 'embeddings',
  authorized: (headers, apiKey, query) => headers['x-goog-api-key'] === apiKey || query.get('key') === apiKey,
  authStatus: 400,
  invalid(_endpoint, path, body) {
    const model = modelOf(path);
    switch (method(path)) {
      case 'generateContent': {
        if (!Array.isArray(body.contents) || body.contents.length === 0)
          return '* GenerateContentRequest.contents: contents is not specified';
        if (!body.contents.every(hasTextParts))
          return '* GenerateContentRequest.contents.parts: must have at least one part';
        const g = body.generationConfig ?? {};
        if (g.temperature !== undefined && (g.temperature < 0 || g.temperature > 2))
          return '* GenerateContentRequest.generation_config.temperature: must be in [0, 2]';
        if ((g.responseJsonSchema || g.responseSchema) && g.responseMimeType !== 'application/json')
          return '* GenerateContentRequest.generation_config.response_mime_type: a response schema needs application/json';
        return null;
      }
      case 'embedContent':
        return hasTextParts(body.content) ? null : '* EmbedContentRequest.content.parts: must have at least one part';
      default: {
        if (!Array.isArray(body.requests) || body.requests.length === 0)
          return '* BatchEmbedContentsRequest.requests: is empty';
        if (body.requests.length > 100) return '* BatchEmbedContentsRequest.requests: at most 100 requests are allowed';
        for (const r of body.requests) {
          if (r.model !== `models/${model}`)
            return `* BatchEmbedContentsRequest.requests[].model: must be the model of the batch (models/${model})`;
          if (!hasTextParts(r.content))
            return '* BatchEmbedContentsRequest.requests[].content.parts: must have at least one part';
        }
        return null;
      }
    }
  },
  asksStructured: (body) => body.generationConfig?.responseMimeType === 'application/json',
  stage: (_e, body) => stageFrom(undefined, userText(body)),
  prompt: (endpoint, body) =>
    endpoint === 'chat'
      ? userText(body)
      : JSON.stringify(
          body.content
            ? body.content.parts.map((p: any) => p.text)
            : (body.requests ?? []).map((r: any) => r.content?.parts?.map((p: any) => p.text).join('')),
        ),
  schema: (body) => body.generationConfig?.responseJsonSchema ?? body.generationConfig?.responseSchema,
  inputChars: (body) =>
    JSON.stringify(body.contents ?? []).length + JSON.stringify(body.systemInstruction ?? '').length,
  chatBody(path, _body, { content, usage }, id) {
    return {
      candidates: [{ content: { parts: [{ text: content }], role: 'model' }, finishReason: 'STOP', index: 0 }],
      ...(usage && {
        usageMetadata: {
          promptTokenCount: usage.input,
          candidatesTokenCount: usage.output,
          totalTokenCount: usage.input + usage.output,
          promptTokensDetails: [{ modality: 'TEXT', tokenCount: usage.input }],
        },
      }),
      modelVersion: modelOf(path),
      responseId: `resp-${id}`,
    };
  },
  embedTexts: (path, body) =>
    method(path) === 'embedContent'
      ? [body.content.parts.map((p: any) => p.text).join('')]
      : body.requests.map((r: any) => r.content.parts.map((p: any) => p.text).join('')),
  // The embeddings endpoints report no token usage at all.
  embedBody: (path, _body, vectors) =>
    method(path) === 'embedContent'
      ? { embedding: { values: vectors[0] } }
      : { embeddings: vectors.map((values) => ({ values })) },
  errorBody: (status, message, fault) => ({
    error: {
      code: status,
      message,
      status: STATUS[status] ?? 'UNKNOWN',
      ...(fault?.retryDelay !== undefined && {
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
            violations: [
              { quotaMetric: 'generativelanguage.googleapis.com/generate_content_requests', quotaId: 'PerMinute' },
            ],
          },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: fault.retryDelay },
        ],
      }),
    },
  }),
  faultMessage: (status) =>
    status === 401
      ? 'API key not valid. Please pass a valid API key.'
      : status === 429
        ? 'You exceeded your current quota, please check your plan and billing details.'
        : status === 503
          ? 'The model is overloaded. Please try again later.'
          : 'An internal error has occurred.',
};

/** The Gemini server; GEMINI_BASE_URL = baseUrl (…/v1beta). */
export function startGeminiServer(options: JudgeServerOptions = {}): Promise<JudgeServer> {
  return startScriptedServer(geminiProtocol, options);
}
