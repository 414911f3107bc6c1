import { Logger } from '@nestjs/common';
import { z } from 'zod';
import { startJudgeServer, type JudgeServer } from '../../../test/support/judge-server';
import { judgeTestConfig } from '../../../test/support/judge-server/test-config';
import { JudgeLimiter } from './judge-limiter';
import { JudgeService } from './judge.service';

const Verdict = z.strictObject({ score: z.number().min(0).max(1), reason: z.string() });

describe('JudgeLimiter (Redis db 5)', () => {
  let server: JudgeServer;
  beforeAll(async () => {
    server = await startJudgeServer();
  });
  afterAll(() => server.close());
  afterEach(() => server.reset());

  it('caps calls in flight across two judge instances sharing Redis', async () => {
    const config = judgeTestConfig(server.baseUrl, { JUDGE_MAX_IN_FLIGHT: '2' });
    const a = new JudgeService(config);
    const b = new JudgeService(config);
    server.setLatency(150);
    try {
      const calls = Array.from({ length: 8 }, (_, i) =>
        (i % 2 ? a : b).generate({ metric: 'unit', stage: 'limit' }, Verdict, `[stage: unit.limit]\ncall ${i}`),
      );
      const results = await Promise.all(calls);
      expect(results).toHaveLength(8);
      expect(server.requests).toHaveLength(8);
      expect(server.maxConcurrent).toBe(2);
      expect(await a.sharedLimiter.inFlight('openai')).toBe(0);
    } finally {
      await a.onModuleDestroy();
      await b.onModuleDestroy();
    }
  });

  it('frees the slot of a holder that died once its lease expires', async () => {
    const config = judgeTestConfig(server.baseUrl, { JUDGE_MAX_IN_FLIGHT: '1' });
    const dead = new JudgeLimiter(config, 300);
    const alive = new JudgeLimiter(config, 300);
    try {
      await dead.acquire('openai', 10); // never released: its process "crashed"
      const started = Date.now();
      const lease = await alive.acquire('openai', 10);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      await lease.release(10);
      expect(await alive.inFlight('openai')).toBe(0);
    } finally {
      await dead.close();
      await alive.close();
    }
  });

  it('spaces requests to the requests-per-minute budget', async () => {
    // 60 rpm = one request per second once the bucket's burst (its capacity, 60) is spent.
    const limiter = new JudgeLimiter(judgeTestConfig(server.baseUrl, { JUDGE_RPM: '60' }));
    try {
      // The bucket starts full (60) no earlier than `started`, so the 61st request can only be
      // granted after one token has refilled: a lower bound that a slow machine cannot break.
      const started = Date.now();
      for (let i = 0; i < 61; i++) await (await limiter.acquire('openai', 1)).release(1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    } finally {
      await limiter.close();
    }
  });

  it('holds a call back until the tokens-per-minute budget has room', async () => {
    const limiter = new JudgeLimiter(judgeTestConfig(server.baseUrl, { JUDGE_TPM: '60000' }));
    try {
      const started = Date.now(); // before the spend, so refill time only adds to the measured wait
      await (await limiter.acquire('openai', 60_000)).release(60_000); // spends the whole minute
      await limiter.acquire('openai', 300); // 1000 tokens/s refill: ~300 ms
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    } finally {
      await limiter.close();
    }
  });

  it('still caps calls when its wake-up subscription fails (waiters look again at their time slice)', async () => {
    const limiter = new JudgeLimiter(judgeTestConfig(server.baseUrl, { JUDGE_MAX_IN_FLIGHT: '1' }));
    // Only the pub/sub wake-up fails: the acquire script itself runs on the real Redis.
    jest.spyOn(limiter as unknown as { subscribe(): Promise<void> }, 'subscribe').mockRejectedValue(new Error('no'));
    const warned = jest.spyOn((limiter as unknown as { logger: Logger }).logger, 'warn').mockReturnValue(undefined);
    try {
      const first = await limiter.acquire('openai', 10);
      let second = false;
      const waiting = limiter.acquire('openai', 10).then((lease) => ((second = true), lease));
      await new Promise((r) => setTimeout(r, 200));
      expect(second).toBe(false);
      await first.release(10);
      await (await waiting).release(10);
      expect(limiter.bypassed).toBe(0);
      expect(await limiter.inFlight('openai')).toBe(0);
      expect(warned.mock.calls.map(([text]) => text)).toEqual([
        'Judge limiter cannot reach Redis; waiters poll: no',
      ]);
    } finally {
      await limiter.close();
    }
  });

  it('subscribes to a second provider while its wake-up connection is being set up, without failing it', async () => {
    // The second channel's SUBSCRIBE lands at various points of the connection's setup; with
    // ioredis's ready check on, 11 of 60 fresh limiters had their wake-up connection failed.
    for (let k = 0; k < 40; k++) {
      const limiter = new JudgeLimiter(judgeTestConfig(server.baseUrl, { JUDGE_MAX_IN_FLIGHT: '2' }));
      const warned = jest.spyOn((limiter as unknown as { logger: Logger }).logger, 'warn');
      try {
        const first = limiter.acquire('openai', 1);
        await new Promise((r) => setTimeout(r, k % 6));
        const second = limiter.acquire('anthropic', 1);
        await (await first).release(1);
        await (await second).release(1);
        expect(warned).not.toHaveBeenCalled();
      } finally {
        await limiter.close();
      }
    }
  });

  it('lets calls through, counted, when its acquire script fails', async () => {
    const config = judgeTestConfig(server.baseUrl, { JUDGE_MAX_IN_FLIGHT: '1' });
    const limiter = new JudgeLimiter(config);
    const key = `${config.redis.queuePrefix}:judge:limit:openai:inflight`;
    try {
      // The in-flight key holding a string: Redis answers WRONGTYPE to the script's ZREMRANGEBYSCORE.
      await limiter.client().set(key, 'not a set', 'EX', 60);
      const warned = jest.spyOn((limiter as unknown as { logger: Logger }).logger, 'warn').mockReturnValue(undefined);
      await limiter.acquire('openai', 10);
      await limiter.acquire('openai', 10);
      expect(limiter.bypassed).toBe(2);
      // One warning per 10 s, saying what happens to the calls.
      expect(warned).toHaveBeenCalledTimes(1);
      expect(warned.mock.calls[0][0]).toMatch(/^Judge limiter cannot reach Redis; letting calls through: WRONGTYPE/);
    } finally {
      await limiter.close();
    }
  });

  it('never touches Redis when every limit is 0', async () => {
    const limiter = new JudgeLimiter(judgeTestConfig(server.baseUrl, { REDIS_URL: 'redis://127.0.0.1:1/5' }));
    const lease = await limiter.acquire('openai', 100);
    await lease.release(100);
    await limiter.close();
  });
});
