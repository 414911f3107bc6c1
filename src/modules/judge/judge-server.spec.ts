import {
  startAnthropicServer,
  startGeminiServer,
  startJudgeServer,
  type JudgeServer,
} from '../../../test/support/judge-server';

interface EmbeddingsBody {
  data: { embedding: number[] & string }[];
  usage: { prompt_tokens: number };
}
interface CompletionBody {
  choices: {
    message: { content: string; tool_calls: { function: { name: string; arguments: string } }[] };
    finish_reason: string;
  }[];
}

/** The scripted server's own wire features that the AI SDK path does not exercise. */
describe('scripted judge server', () => {
  let server: JudgeServer;
  beforeAll(async () => {
    server = await startJudgeServer({ dimensions: 4 });
  });
  afterAll(() => server.close());
  afterEach(() => server.reset());

  const postJson = async <T>(path: string, body: unknown): Promise<T> => (await (await post(path, body)).json()) as T;
  const post = (path: string, body: unknown) =>
    fetch(`${server.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('answers embeddings as float or base64 with usage', async () => {
    server.setEmbedding('a', [0.5, -0.25, 1, 0]);
    const float = await postJson<EmbeddingsBody>('/embeddings', { model: 'e', input: ['a', 'b'] });
    expect(float.data[0].embedding).toEqual([0.5, -0.25, 1, 0]);
    expect(float.data[1].embedding).toHaveLength(4);
    expect(float.usage.prompt_tokens).toBeGreaterThan(0);
    const b64 = await postJson<EmbeddingsBody>('/embeddings', { model: 'e', input: 'a', encoding_format: 'base64' });
    const buf = Buffer.from(b64.data[0].embedding, 'base64');
    expect(Array.from(new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4))).toEqual([0.5, -0.25, 1, 0]);
  });

  it('answers through a tool call when the request offers tools', async () => {
    server.answer('task_completion.score', { verdict: 0.5, reason: 'half' });
    const res = await postJson<CompletionBody>('/chat/completions', {
      model: 'm',
      messages: [{ role: 'user', content: '[stage: task_completion.score]\nGrade.' }],
      tools: [{ type: 'function', function: { name: 'json', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'json' } },
    });
    const call = res.choices[0].message.tool_calls[0];
    expect(call.function.name).toBe('json');
    expect(JSON.parse(call.function.arguments)).toEqual({ verdict: 0.5, reason: 'half' });
    expect(res.choices[0].finish_reason).toBe('tool_calls');
  });

  it('routes by schema name, falls back to defaults, and synthesizes unknown stages from the schema', async () => {
    const byName = await postJson<CompletionBody>('/chat/completions', {
      model: 'm',
      messages: [{ role: 'user', content: 'no marker' }],
      response_format: { type: 'json_schema', json_schema: { name: 'pp-confidence-evaluate', schema: {} } },
    });
    expect(JSON.parse(byName.choices[0].message.content)).toHaveProperty('confidence');
    const synthesized = await postJson<CompletionBody>('/chat/completions', {
      model: 'm',
      messages: [{ role: 'user', content: '[stage: x.y]' }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'pp-x-y',
          schema: { type: 'object', properties: { n: { type: 'number', maximum: 1 }, s: { type: 'string' } } },
        },
      },
    });
    expect(JSON.parse(synthesized.choices[0].message.content)).toEqual({ n: 0.5, s: 'sample' });
    expect(server.requests.map((r) => r.stage)).toEqual(['confidence.evaluate', 'x.y']);
  });

  it('applies faults to a given stage only, and 404s other routes', async () => {
    server.fault({ status: 503, stage: 'a.b', count: 1 });
    const other = await post('/chat/completions', {
      model: 'm',
      messages: [{ role: 'user', content: '[stage: c.d]' }],
    });
    expect(other.status).toBe(200);
    const hit = await post('/chat/completions', { model: 'm', messages: [{ role: 'user', content: '[stage: a.b]' }] });
    expect(hit.status).toBe(503);
    expect((await post('/completions', {})).status).toBe(404);
  });

  it('refuses malformed requests with a 400 in the OpenAI error shape', async () => {
    const noModel = await post('/chat/completions', { messages: [{ role: 'user', content: 'x' }] });
    expect(noModel.status).toBe(400);
    expect(((await noModel.json()) as { error: { message: string } }).error.message).toMatch(/model/);
    expect((await post('/chat/completions', { model: 'm', messages: [] })).status).toBe(400);
    expect((await post('/embeddings', { model: 'e', input: [] })).status).toBe(400);
    expect((await post('/responses', { model: 'm' })).status).toBe(400);
    const broken = await fetch(`${server.baseUrl}/chat/completions`, { method: 'POST', body: '{not json' });
    expect(broken.status).toBe(400);
  });
});

describe('scripted Anthropic and Gemini servers refuse what the real APIs refuse', () => {
  let anthropic: JudgeServer;
  let gemini: JudgeServer;
  beforeAll(async () => {
    anthropic = await startAnthropicServer({ apiKey: 'k' });
    gemini = await startGeminiServer({ apiKey: 'k' });
  });
  afterAll(async () => {
    await anthropic.close();
    await gemini.close();
  });
  const post = (url: string, headers: Record<string, string>, body: unknown) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const message = { model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
  const ant = { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' };

  it('Anthropic: key, version header, max_tokens, roles; error body in its shape', async () => {
    expect((await post(`${anthropic.baseUrl}/messages`, ant, message)).status).toBe(200);
    const noKey = await post(`${anthropic.baseUrl}/messages`, { 'anthropic-version': '2023-06-01' }, message);
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'invalid x-api-key' },
    });
    expect((await post(`${anthropic.baseUrl}/messages`, { 'x-api-key': 'k' }, message)).status).toBe(400);
    expect((await post(`${anthropic.baseUrl}/messages`, ant, { ...message, max_tokens: undefined })).status).toBe(400);
    const system = { ...message, messages: [{ role: 'system', content: 'x' }] };
    expect((await post(`${anthropic.baseUrl}/messages`, ant, system)).status).toBe(400);
    expect(
      (await post(`${anthropic.baseUrl}/messages`, ant, { ...message, tool_choice: { type: 'any' } })).status,
    ).toBe(400);
  });

  it('Gemini: key, contents, batch model must match the path; RetryInfo in a 429 body', async () => {
    const key = { 'x-goog-api-key': 'k' };
    const gen = `${gemini.baseUrl}/models/gemini-2.0-flash:generateContent`;
    expect((await post(gen, key, { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] })).status).toBe(200);
    expect((await post(gen, {}, { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] })).status).toBe(400);
    expect((await post(gen, key, { contents: [] })).status).toBe(400);
    const batch = `${gemini.baseUrl}/models/text-embedding-004:batchEmbedContents`;
    const req = (model: string) => ({ requests: [{ model, content: { parts: [{ text: 'a' }] } }] });
    expect((await post(batch, key, req('models/text-embedding-004'))).status).toBe(200);
    expect((await post(batch, key, req('models/other'))).status).toBe(400);
    gemini.fault({ status: 429, retryDelay: '2s' });
    const limited = await post(gen, key, { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
    expect(limited.status).toBe(429);
    const body = (await limited.json()) as { error: { status: string; details: { retryDelay?: string }[] } };
    expect(body.error.status).toBe('RESOURCE_EXHAUSTED');
    expect(body.error.details.find((d) => d.retryDelay)?.retryDelay).toBe('2s');
    expect(limited.headers.get('retry-after')).toBeNull();
  });
});
