import { Logger } from '@nestjs/common';
import { z } from 'zod';
import {
  startAnthropicServer,
  startGeminiServer,
  startJudgeServer,
  type JudgeServer,
} from '../../../test/support/judge-server';
import { judgeTestConfig } from '../../../test/support/judge-server/test-config';
import { JudgeLimiter } from './judge-limiter';
import { JudgeService } from './judge.service';
import { classifyFailure, JudgeSlotTimeoutError, parseGoogleRetryInfo, retryDelayMs } from './retry-policy';

const Verdict = z.strictObject({ score: z.number().min(0).max(1), reason: z.string() });
const stage = { metric: 'unit', stage: 'check' };

describe('retry delays', () => {
  const rateLimited = (retryAfterMs?: number) => ({
    kind: 'rate_limited' as const,
    retryable: true,
    status: 429,
    retryAfterMs,
    summary: '429',
  });

  it('waits at least what the server asked, plus jitter, capped by the maximum', () => {
    expect(retryDelayMs(1, rateLimited(1000), 100, 30_000, () => 0)).toBe(1000);
    expect(retryDelayMs(1, rateLimited(1000), 100, 30_000, () => 0.999)).toBe(1049);
    expect(retryDelayMs(3, rateLimited(1000), 100, 30_000, () => 0.5)).toBe(1100);
    expect(retryDelayMs(1, rateLimited(60_000), 100, 5_000, () => 0.5)).toBe(5_000);
  });

  it('never retries in lockstep: the same Retry-After gives different waits', () => {
    const waits = new Set(Array.from({ length: 20 }, () => retryDelayMs(2, rateLimited(1000), 500, 30_000)));
    expect(waits.size).toBeGreaterThan(1);
    for (const w of waits) expect(w).toBeGreaterThanOrEqual(1000);
  });

  it('has a floor of half the backoff ceiling per attempt, also for Retry-After: 0', () => {
    for (const failure of [rateLimited(0), rateLimited(undefined)]) {
      expect(retryDelayMs(1, failure, 400, 30_000, () => 0)).toBe(200);
      expect(retryDelayMs(2, failure, 400, 30_000, () => 0)).toBe(400);
      expect(retryDelayMs(4, failure, 400, 30_000, () => 0)).toBe(1600);
      expect(retryDelayMs(4, failure, 400, 1_000, () => 0.99)).toBeLessThanOrEqual(1_000);
    }
  });

  it("reads Gemini's RetryInfo.retryDelay from the error body", () => {
    const body = (delay: string) =>
      JSON.stringify({
        error: {
          code: 429,
          status: 'RESOURCE_EXHAUSTED',
          details: [
            { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [] },
            { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: delay },
          ],
        },
      });
    expect(parseGoogleRetryInfo(body('1s'))).toBe(1000);
    expect(parseGoogleRetryInfo(body('53.5s'))).toBe(53_500);
    expect(parseGoogleRetryInfo(body('soon'))).toBeUndefined();
    expect(parseGoogleRetryInfo('not json RetryInfo')).toBeUndefined();
    expect(parseGoogleRetryInfo(undefined)).toBeUndefined();
  });

  it('classifies a limiter that gave no slot in time as a retryable timeout', () => {
    expect(classifyFailure(new JudgeSlotTimeoutError(200))).toMatchObject({ kind: 'timeout', retryable: true });
  });
});

describe('JudgeLimiter waits', () => {
  let server: JudgeServer;
  beforeAll(async () => {
    server = await startJudgeServer();
  });
  afterAll(() => server.close());

  it('wakes a waiter on release (another process) instead of polling Redis', async () => {
    const config = judgeTestConfig(server.baseUrl, { JUDGE_MAX_IN_FLIGHT: '1' });
    const holder = new JudgeLimiter(config);
    const waiter = new JudgeLimiter(config);
    try {
      const lease = await holder.acquire('openai', 10);
      let granted = false;
      const waiting = waiter.acquire('openai', 10).then((l) => ((granted = true), l));
      await new Promise((r) => setTimeout(r, 600));
      expect(granted).toBe(false);
      await lease.release(10);
      const second = await waiting;
      await second.release(10);
      // The old loop polled every 5–25 ms (about 24–120 rounds in 600 ms); now: the first look,
      // at most one time-slice wake-up, and the look after the release.
      expect(waiter.acquireRounds).toBeLessThanOrEqual(3);
    } finally {
      await holder.close();
      await waiter.close();
    }
  });

  it('gives up at the deadline, and at once when the signal aborts', async () => {
    const config = judgeTestConfig(server.baseUrl, { JUDGE_MAX_IN_FLIGHT: '1' });
    const limiter = new JudgeLimiter(config);
    try {
      const lease = await limiter.acquire('openai', 10);
      await expect(limiter.acquire('openai', 10, { deadline: Date.now() + 200 })).rejects.toBeInstanceOf(
        JudgeSlotTimeoutError,
      );
      const controller = new AbortController();
      const waiting = limiter.acquire('openai', 10, { signal: controller.signal });
      controller.abort(new Error('stop'));
      await expect(waiting).rejects.toThrow('stop');
      await lease.release(10);
    } finally {
      await limiter.close();
    }
  });

  it('a judge call whose limiter stays full fails as a retryable timeout, not a hang', async () => {
    const config = judgeTestConfig(server.baseUrl, {
      JUDGE_MAX_IN_FLIGHT: '1',
      JUDGE_TIMEOUT_MS: '300',
      JUDGE_MAX_RETRIES: '1',
    });
    const blocker = new JudgeLimiter(config);
    const judge = new JudgeService(config);
    try {
      await blocker.acquire('openai', 10); // never released within the test
      server.reset();
      const error = await judge.generate(stage, Verdict, 'x').catch((e) => e);
      expect(error.message).toMatch(/^Judge call failed after 2 attempts: no judge slot free within \d+ ms/);
      expect(server.requests).toHaveLength(0);
    } finally {
      await blocker.close();
      await judge.onModuleDestroy();
    }
  });
});

/** A judge configured by `config`; it and the fake provider `server` close when `body` ends. */
async function withJudge(
  server: { close(): Promise<void> },
  config: ReturnType<typeof judgeTestConfig>,
  body: (judge: JudgeService) => Promise<void>,
): Promise<void> {
  const judge = new JudgeService(config);
  try {
    await body(judge);
  } finally {
    await judge.onModuleDestroy();
    await server.close();
  }
}

/** A judge config that calls only `provider`, at its fake server's `baseUrl` (OpenAI switched off). */
function onlyProvider(provider: 'ANTHROPIC' | 'GEMINI', baseUrl: string, env: Record<string, string>) {
  return judgeTestConfig('', {
    OPENAI_BASE_URL: '',
    [`${provider}_BASE_URL`]: baseUrl,
    [`${provider}_API_KEY`]: 'k',
    ...env,
  });
}

describe('shutdown', () => {
  it('a call finishing after the judge closed does not reopen a Redis connection', async () => {
    const server = await startJudgeServer();
    await withJudge(server, judgeTestConfig(server.baseUrl), async (judge) => {
      await judge.generate(stage, Verdict, 'x'); // provider health is written through the limiter's connection
      await judge.onModuleDestroy();
      await judge.generate(stage, Verdict, 'x');
      expect((judge.sharedLimiter as unknown as { redis?: unknown }).redis).toBeUndefined();
    });
  });
});

describe('settings the SDK drops for a model', () => {
  it('are logged once per model and setting, however many calls', async () => {
    const anthropic = await startAnthropicServer();
    const config = onlyProvider('ANTHROPIC', anthropic.baseUrl, { EVAL_LLM_MODEL: 'anthropic/claude-judge-test' });
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await withJudge(anthropic, config, async (judge) => {
      for (let i = 0; i < 3; i++) await judge.generate(stage, Verdict, '[stage: unit.check]\nGrade.');
      const temperature = warn.mock.calls.filter(([m]) => String(m).includes("setting 'temperature'"));
      expect(temperature).toHaveLength(1);
      expect(String(temperature[0][0])).toBe(
        "Judge model 'anthropic/claude-judge-test': setting 'temperature' not applied as configured: temperature is not supported by claude-judge-test and will be ignored",
      );
      expect(anthropic.requests.every((r) => r.body.temperature === undefined)).toBe(true);
    }).finally(() => warn.mockRestore());
  });
});

describe('Gemini embeddings through the SDK', () => {
  it('uses embedContent for one text and batchEmbedContents for several; no usage reported → null', async () => {
    const gemini = await startGeminiServer();
    const config = onlyProvider('GEMINI', gemini.baseUrl, { EVAL_EMBEDDING_MODEL: 'gemini/text-embedding-004' });
    await withJudge(gemini, config, async (judge) => {
      gemini.setEmbedding('one', [1, 0]);
      const single = await judge.embed(['one']);
      expect(single.vectors).toEqual([[1, 0]]);
      expect(single.usage).toMatchObject({ model: 'gemini/text-embedding-004', calls: 1, input_tokens: null });
      const several = await judge.embed(['a', 'b']);
      expect(several.vectors).toHaveLength(2);
      expect(gemini.requests.map((r) => [r.path, r.status])).toEqual([
        ['/v1beta/models/text-embedding-004:embedContent', 200],
        ['/v1beta/models/text-embedding-004:batchEmbedContents', 200],
      ]);
    });
  });
});
