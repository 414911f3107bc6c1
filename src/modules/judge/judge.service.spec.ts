import { z } from 'zod';
import { DomainError, ErrorCode } from '../../common/errors/domain.error';
import { startJudgeServer, type JudgeServer } from '../../../test/support/judge-server';
import { judgeTestConfig } from '../../../test/support/judge-server/test-config';
import { JUDGE_SYSTEM_PROMPT, JudgeService } from './judge.service';
import type { CallUsage, JudgeAttempt } from './judge.types';

const Verdict = z.strictObject({ score: z.number().min(0).max(1), reason: z.string() });
const stage = { metric: 'unit', stage: 'check' };

describe('JudgeService against the scripted OpenAI-compatible server', () => {
  let server: JudgeServer;
  const services: JudgeService[] = [];
  const make = (env: Record<string, string> = {}) => {
    const s = new JudgeService(judgeTestConfig(server.baseUrl, env));
    services.push(s);
    return s;
  };

  beforeAll(async () => {
    server = await startJudgeServer();
  });
  afterEach(async () => {
    server.reset();
    await Promise.all(services.splice(0).map((s) => s.onModuleDestroy()));
  });
  afterAll(() => server.close());

  it('asks for structured output on chat completions with temperature 0 and reports usage', async () => {
    server.answer('unit.check', { score: 0.7, reason: 'fine' });
    const calls: CallUsage[] = [];
    const result = await make().generate(stage, Verdict, '[stage: unit.check]\nGrade this.', {
      usage: { add: (u) => calls.push(u) },
    });
    expect(result.value).toEqual({ score: 0.7, reason: 'fine' });
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0];
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.body.temperature).toBe(0);
    expect(req.body.response_format.type).toBe('json_schema');
    expect(req.body.response_format.json_schema.name).toBe('pp-unit-check');
    expect(req.body.messages[0].role).toBe('system');
    expect(result.usage.model).toBe('openai/judge-test');
    expect(result.usage.calls).toBe(1);
    expect(result.usage.input_tokens).toBeGreaterThan(10);
    expect(result.usage.output_tokens).toBeGreaterThan(0);
    expect(calls).toHaveLength(1);
    // Through judgeFetch (undici's request), not the global fetch, which always sends sec-fetch-mode.
    expect(req.headers['sec-fetch-mode']).toBeUndefined();
    expect(req.headers['accept-encoding']).toBe('gzip, deflate, br');
  });

  it('retries 5xx with backoff and counts every call', async () => {
    server.answer('unit.check', { score: 1, reason: 'ok' });
    server.fault({ status: 500, count: 2 });
    const result = await make().generate(stage, Verdict, 'x');
    expect(result.value.score).toBe(1);
    expect(server.requests.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(result.usage.calls).toBe(3);
  });

  it('passes every attempt to the transcript: what was sent, the error or the answer, the usage', async () => {
    server.answer('unit.check', { score: 1, reason: 'ok' });
    server.fault({ status: 500, count: 1 });
    server.fault({ invalidJson: 'not json', count: 1 });
    const attempts: JudgeAttempt[] = [];
    await make().generate(stage, Verdict, 'Grade this.', { transcript: { add: (a) => attempts.push(a) } });
    expect(attempts.map((a) => [a.stage, a.attempt, a.mode, a.answer])).toEqual([
      ['unit.check', 1, 'structured', null],
      ['unit.check', 2, 'structured', 'not json'],
      ['unit.check', 3, 'structured', '{"score":1,"reason":"ok"}'],
    ]);
    expect(attempts[0].error).toMatch(/^HTTP 500: /);
    expect(attempts[1].error).toBeTruthy();
    expect(attempts[2].error).toBeNull();
    expect(attempts.every((a) => a.prompt === 'Grade this.' && a.system === JUDGE_SYSTEM_PROMPT)).toBe(true);
    expect(attempts[2].input_tokens).toBe(server.requests[2].reported!.input);
    expect(attempts[2].output_tokens).toBe(server.requests[2].reported!.output);
  });

  it('honours Retry-After in seconds on 429', async () => {
    server.fault({ status: 429, retryAfter: '1', count: 1 });
    const result = await make().generate(stage, Verdict, 'x');
    expect(result.value.score).toBeGreaterThanOrEqual(0);
    const [a, b] = server.requests;
    expect(a.status).toBe(429);
    expect(b.receivedAt - a.finishedAt!).toBeGreaterThanOrEqual(950);
  });

  it('honours retry-after-ms, capped by JUDGE_RETRY_MAX_MS', async () => {
    server.fault({ status: 429, retryAfterMs: 5000, count: 1 });
    await make({ JUDGE_RETRY_MAX_MS: '300' }).generate(stage, Verdict, 'x');
    const [a, b] = server.requests;
    const gap = b.receivedAt - a.finishedAt!;
    expect(gap).toBeGreaterThanOrEqual(280);
    expect(gap).toBeLessThan(1500);
  });

  it('times out a slow call and retries it', async () => {
    server.fault({ delayMs: 1500, count: 1 });
    const result = await make({ JUDGE_TIMEOUT_MS: '300' }).generate(stage, Verdict, 'x');
    expect(result.value).toBeDefined();
    expect(server.requests).toHaveLength(2);
    expect(result.usage.calls).toBe(2);
  });

  it('retries invalid JSON and schema-violating answers', async () => {
    server.fault({ invalidJson: 'I think it is fine', count: 1 });
    server.fault({ invalidJson: '{"score": 7, "reason": "out of range"}', count: 1 });
    server.answer('unit.check', { score: 0.25, reason: 'weak' });
    const result = await make().generate(stage, Verdict, 'x');
    expect(result.value).toEqual({ score: 0.25, reason: 'weak' });
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry 401 and says why', async () => {
    server.fault({ status: 401, count: 10 });
    const error = await make()
      .generate(stage, Verdict, 'x')
      .catch((e) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(error.code).toBe(ErrorCode.JUDGE_CALL_FAILED);
    expect(error.message).toMatch(/^Judge provider rejected the request \(401\)/);
    expect(error.message).toContain('Incorrect API key');
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry 403 or 404', async () => {
    server.fault({ status: 404, count: 10 });
    await expect(make().generate(stage, Verdict, 'x')).rejects.toThrow(/\(404\)/);
    expect(server.requests).toHaveLength(1);
  });

  it('gives up after maxRetries + 1 attempts with the last reason', async () => {
    server.fault({ status: 500, count: Infinity });
    const error = await make({ JUDGE_MAX_RETRIES: '2' })
      .generate(stage, Verdict, 'x')
      .catch((e) => e);
    expect(error.message).toBe('Judge call failed after 3 attempts: 500 Internal Server Error');
    expect(error.details.usage.calls).toBe(3);
    expect(server.requests).toHaveLength(3);
  });

  it('falls back to text mode when the server rejects response_format, parsing fenced JSON', async () => {
    server.setRejectResponseFormat(true);
    server.answer('unit.check', { raw: '```json\n{"score": 0.4, "reason": "fenced"}\n```' });
    const judge = make();
    const result = await judge.generate(stage, Verdict, '[stage: unit.check]\nGrade.');
    expect(result.value).toEqual({ score: 0.4, reason: 'fenced' });
    expect(server.requests.map((r) => r.status)).toEqual([400, 200]);
    expect(server.requests[1].body.response_format).toBeUndefined();
    expect(server.requests[1].prompt).toContain('JSON Schema');
    // The model is remembered as text-only: the next call skips response_format.
    await judge.generate(stage, Verdict, '[stage: unit.check]\nAgain.');
    expect(server.requests).toHaveLength(3);
    expect(server.requests[2].body.response_format).toBeUndefined();
  });

  it('parses fenced JSON even in structured mode', async () => {
    server.answer('unit.check', { raw: '```\n{"score": 0.6, "reason": "fenced"}\n```' });
    const result = await make().generate(stage, Verdict, 'x');
    expect(result.value.score).toBe(0.6);
    expect(server.requests).toHaveLength(1);
  });

  it('embeds through /v1/embeddings, caches by text, and retries 5xx', async () => {
    server.setEmbedding('alpha', [1, 0, 0]);
    server.setEmbedding('beta', [0, 1, 0]);
    server.fault({ status: 503, count: 1, endpoint: 'embeddings' });
    const judge = make();
    const first = await judge.embed(['alpha', 'beta'], { scope: 'project-1' });
    expect(first.vectors).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    expect(first.usage.calls).toBe(2);
    expect(server.requests.every((r) => r.path === '/v1/embeddings')).toBe(true);
    const again = await judge.embed(['beta'], { scope: 'project-1' });
    expect(again.vectors).toEqual([[0, 1, 0]]);
    expect(server.requests).toHaveLength(2);
  });

  describe('robustness', () => {
    it('a Retry-After: 0 storm cannot burn every attempt at once: each wait is at least its floor', async () => {
      server.fault({ status: 429, retryAfter: '0', count: 3 });
      await make({ JUDGE_RETRY_BASE_MS: '200', JUDGE_MAX_RETRIES: '3' }).generate(stage, Verdict, 'x');
      const r = server.requests;
      expect(r.map((x) => x.status)).toEqual([429, 429, 429, 200]);
      const gaps = [1, 2, 3].map((i) => r[i].receivedAt - r[i - 1].finishedAt!);
      expect(gaps[0]).toBeGreaterThanOrEqual(100 - 5);
      expect(gaps[1]).toBeGreaterThanOrEqual(200 - 5);
      expect(gaps[2]).toBeGreaterThanOrEqual(400 - 5);
    });

    it('retries an embeddings answer that is not JSON, like a chat answer', async () => {
      server.fault({ rawBody: '<html>upstream error</html>', endpoint: 'embeddings', count: 1 });
      const result = await make().embed(['alpha']);
      expect(result.vectors).toHaveLength(1);
      expect(server.requests.map((r) => r.status)).toEqual([200, 200]);
      expect(result.usage.calls).toBe(2);
    });

    it('retries a chat answer whose HTTP body is not JSON', async () => {
      server.fault({ rawBody: 'garbage', endpoint: 'chat', count: 1 });
      const result = await make().generate(stage, Verdict, 'x');
      expect(result.value).toBeDefined();
      expect(server.requests).toHaveLength(2);
    });

    it('records tokens a provider did not report as null (unknown), never 0 or NaN', async () => {
      server.setReportUsage(false);
      const judge = make();
      const chat = await judge.generate(stage, Verdict, 'x');
      expect(chat.usage).toMatchObject({ calls: 1, input_tokens: null, output_tokens: null });
      const emb = await judge.embed(['alpha']);
      expect(emb.usage.input_tokens).toBeNull();
      server.setReportUsage(true);
      const known = await judge.generate(stage, Verdict, 'x');
      expect(known.usage.input_tokens).toBe(server.requests[2].reported!.input);
    });

    it('keys the embedding cache by scope (project): another scope never gets a free hit', async () => {
      const judge = make();
      await judge.embed(['secret text'], { scope: 'project-a' });
      const b = await judge.embed(['secret text'], { scope: 'project-b' });
      expect(b.usage.calls).toBe(1);
      const again = await judge.embed(['secret text'], { scope: 'project-a' });
      expect(again.usage.calls).toBe(0);
      const unscoped = await judge.embed(['secret text']);
      expect(unscoped.usage.calls).toBe(1);
      expect(server.requests.filter((r) => r.endpoint === 'embeddings')).toHaveLength(3);
    });

    it('bounds the embedding cache by the numbers it holds, evicting the oldest vectors', async () => {
      // 300,000 dimensions: three vectors fit the cache's 2^20 numbers, a fourth evicts the first.
      const wide = await startJudgeServer({ dimensions: 300_000 });
      try {
        // A ~6 MB answer can take longer than the usual 2 s test timeout on a busy machine: a retry would count a call.
        const judge = new JudgeService(judgeTestConfig(wide.baseUrl, { JUDGE_TIMEOUT_MS: '25000' }));
        services.push(judge);
        for (const text of ['a', 'b', 'c', 'd']) await judge.embed([text], { scope: 'p' });
        for (const text of ['b', 'c', 'd']) expect((await judge.embed([text], { scope: 'p' })).usage.calls).toBe(0);
        const evicted = await judge.embed(['a'], { scope: 'p' });
        expect(evicted.usage.calls).toBe(1);
        expect(evicted.vectors[0]).toHaveLength(300_000);
      } finally {
        await wide.close();
      }
    }, 30_000); // ~6 MB of JSON per vector: slow on a busy machine, not a timing assertion

    it('stops a call when its signal aborts, with a clear reason', async () => {
      server.setLatency(2_000);
      const controller = new AbortController();
      const call = make({ JUDGE_TIMEOUT_MS: '5000' }).generate(stage, Verdict, 'x', { signal: controller.signal });
      setTimeout(() => controller.abort(new Error('run cancelled')), 50);
      await expect(call).rejects.toThrow('Judge call stopped: run cancelled');
      expect(server.requests).toHaveLength(1);
    });
  });

  describe('model resolution', () => {
    it('resolves provider/model and bare names like the original', () => {
      const judge = make();
      expect(judge.resolveModel().id).toBe('openai/judge-test');
      expect(judge.resolveModel('gpt-4o').id).toBe('openai/gpt-4o');
      expect(judge.resolveModel('o3-mini').id).toBe('openai/o3-mini');
      expect(judge.resolveModel('claude-3-5-haiku-latest').id).toBe('anthropic/claude-3-5-haiku-latest');
      expect(judge.resolveModel('gemini-2.0-flash').id).toBe('gemini/gemini-2.0-flash');
      expect(judge.resolveModel('openai/llama3.1:8b').modelId).toBe('llama3.1:8b');
      // The dashboard's model ids: vertex_ai/ names Vertex AI, gemini/ the Generative Language API.
      expect(judge.resolveModel('vertex_ai/gemini-3.5-flash').id).toBe('vertex_ai/gemini-3.5-flash');
      expect(judge.resolveModel('gemini/gemini-3.1-flash-lite').id).toBe('gemini/gemini-3.1-flash-lite');
    });

    it('rejects an unknown provider with a 422-mapped error naming it', () => {
      const judge = make();
      expect(() => judge.assertModelUsable('mistral/large')).toThrow(/Unknown judge provider 'mistral'/);
      try {
        judge.assertModelUsable('mistral-large');
      } catch (e) {
        expect((e as DomainError).code).toBe(ErrorCode.JUDGE_PROVIDER_UNAVAILABLE);
      }
      expect.assertions(2);
    });

    it('rejects a provider without credentials, naming the variable', () => {
      const judge = make();
      expect(judge.assertModelUsable()).toBe('openai/judge-test');
      expect(() => judge.assertModelUsable('anthropic/claude-3-5-haiku-latest')).toThrow(/set ANTHROPIC_API_KEY/);
      expect(() => judge.assertModelUsable('gemini-2.0-flash')).toThrow(/set GEMINI_API_KEY/);
      expect(make({ ANTHROPIC_API_KEY: 'k' }).assertModelUsable('claude-x')).toBe('anthropic/claude-x');
    });

    it('lists providers with availability', async () => {
      const list = await make({ GEMINI_API_KEY: 'g', SCRIPTED_JUDGE_URL: 'http://127.0.0.1:4010/v1' }).listProviders();
      expect(list.map((p) => [p.key, p.available])).toEqual([
        ['openai', true],
        ['anthropic', false],
        ['google_genai', true],
        ['vertex_ai', false],
        ['scripted', true],
      ]);
      expect(list[1].message).toBe(
        "Provider 'Anthropic' is not configured. Missing environment variable(s): ANTHROPIC_API_KEY",
      );
      expect(list[1].state).toBe('not_configured');
      const none = await make({ OPENAI_BASE_URL: '' }).listProviders();
      expect(none[0].available).toBe(false);
      // Vertex AI: a project (Google Cloud credentials from the environment), or an express-mode API key.
      const vertex = async (env: Record<string, string>) =>
        (await make(env).listProviders()).find((p) => p.key === 'vertex_ai')!;
      expect((await vertex({ GOOGLE_VERTEX_PROJECT: 'p', GOOGLE_VERTEX_LOCATION: 'europe-west4' })).available).toBe(
        true,
      );
      expect((await vertex({ GOOGLE_VERTEX_API_KEY: 'k' })).available).toBe(true);
      expect((await vertex({})).message).toMatch(/GOOGLE_VERTEX_PROJECT/);
    });
  });
});
