import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { flush, init, shutdown, withTrace } from 'pandaprobe';
import { TokenBucket } from '../../src/common/rate/token-bucket';
import { buildSpan, buildTrace } from '../factories/trace.factory';
import { scopedPrefix, TEST_ENV } from '../support/test-env';
import { createMember, createTenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

describe('token bucket (real Redis, injected clock)', () => {
  let redis: Redis;
  let now = 1_000_000;
  const key = () => `${TEST_ENV.QUEUE_PREFIX}:test:bucket:${randomUUID()}`;

  beforeAll(() => {
    redis = new Redis(TEST_ENV.REDIS_URL);
  });
  afterAll(() => redis.quit());

  it('lets a full burst through, then refuses with the exact wait for one token, then refills at the rate', async () => {
    const bucket = new TokenBucket(redis, 100, 1000, () => now);
    const k = key();
    for (let i = 0; i < 1000; i++) expect((await bucket.consume(k)).allowed).toBe(true);
    expect(await bucket.consume(k)).toEqual({ allowed: false, retryAfterMs: 10 });
    now += 4;
    expect(await bucket.consume(k)).toEqual({ allowed: false, retryAfterMs: 6 }); // 0.4 token there
    now += 6;
    expect(await bucket.consume(k)).toEqual({ allowed: true, retryAfterMs: 0 });
    // One second sustains exactly the rate.
    now += 1000;
    let passed = 0;
    while ((await bucket.consume(k)).allowed) passed += 1;
    expect(passed).toBe(100);
  });

  it('never holds more than its capacity, and an idle bucket expires from Redis once full again', async () => {
    const bucket = new TokenBucket(redis, 2, 3, () => now);
    const k = key();
    await bucket.consume(k);
    const ttl = await redis.pttl(k);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(500 + 1000); // one token at 2/s, plus a second of slack
    now += 3_600_000;
    for (let i = 0; i < 3; i++) expect((await bucket.consume(k)).allowed).toBe(true);
    expect(await bucket.consume(k)).toEqual({ allowed: false, retryAfterMs: 500 });
  });

  it('keeps buckets apart by key', async () => {
    const bucket = new TokenBucket(redis, 1, 1, () => now);
    const [a, b] = [key(), key()];
    expect((await bucket.consume(a)).allowed).toBe(true);
    expect((await bucket.consume(a)).allowed).toBe(false);
    expect((await bucket.consume(b)).allowed).toBe(true);
  });
});

describe('ingestion rate limit: a token bucket per project', () => {
  describe('across two API instances', () => {
    let one: TestApp;
    let two: TestApp;

    beforeAll(async () => {
      // A rate of one token per 1,000 s: nothing refills while the test runs.
      const env = {
        RATE_LIMIT_INGEST: '0.001',
        RATE_LIMIT_INGEST_BURST: '4',
        QUEUE_PREFIX: scopedPrefix('ri'),
      };
      one = await createTestApp(env);
      two = await createTestApp(env);
    });
    afterAll(async () => {
      await one?.close();
      await two?.close();
    });

    it('shares one bucket per project across instances and credentials; other projects have their own', async () => {
      const a = await createTenant(one);
      const member = await createMember(one, a);
      const first = buildTrace();
      await one.http.post('/traces').set(a.headers).send(first).expect(202);
      await two.http.post('/traces').set(member.headers).send(buildTrace()).expect(202);
      await one.http.post(`/traces/${first.trace_id}/spans`).set(a.headers).send([buildSpan()]).expect(201);
      await two.http.post('/traces').set(a.headers).send(buildTrace()).expect(202);
      const limited = await one.http.post('/traces').set(member.headers).send(buildTrace());
      expect(limited.status).toBe(429);
      const summary = 'Rate limit exceeded for this project: 0.001 ingestion requests per second, bursts of 4';
      expect(limited.body.error).toBe(summary);
      // Retry-After: seconds until one token is back (1,000 s at this rate, less what refilled since).
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(990);
      expect(retryAfter).toBeLessThanOrEqual(1000);
      expect(limited.body.detail).toBe(`${summary}. Retry after ${retryAfter} second${retryAfter === 1 ? '' : 's'}.`);
      await two.http.post('/traces').set(a.headers).send(buildTrace()).expect(429);
      // Reads are not ingestion; another project (same organization or not) has a full bucket.
      await two.http.get(`/traces/${first.trace_id}`).set(a.headers).expect(200);
      await one.http
        .post('/traces')
        .set({ ...a.headers, 'X-Project-Name': `other-${randomUUID().slice(0, 8)}` })
        .send(buildTrace())
        .expect(202);
      const b = await createTenant(one);
      await two.http.post('/traces').set(b.headers).send(buildTrace()).expect(202);
      // A refused request stored nothing.
      expect(Number((await one.http.get('/traces').set(a.headers).expect(200)).body.total)).toBe(3);
    });
  });

  describe('off with RATE_LIMIT_INGEST=0', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ RATE_LIMIT_INGEST: '0', RATE_LIMIT_INGEST_BURST: '1' });
    });
    afterAll(() => t?.close());

    it('never refuses ingestion', async () => {
      const a = await createTenant(t);
      for (let i = 0; i < 5; i++) await t.http.post('/traces').set(a.headers).send(buildTrace()).expect(202);
    });
  });

  describe('the pandaprobe SDK against a small bucket', () => {
    let t: TestApp;
    const seen: { status: number; retryAfter: string | null }[] = [];
    const realFetch = globalThis.fetch;

    beforeAll(async () => {
      jest.spyOn(console, 'warn').mockImplementation(() => undefined); // the SDK's "retrying in 1.0s" lines
      t = await createTestApp({ RATE_LIMIT_INGEST: '2', RATE_LIMIT_INGEST_BURST: '3' });
      // Watch what the SDK receives, without changing it.
      globalThis.fetch = async (...args: Parameters<typeof fetch>) => {
        const res = await realFetch(...args);
        if (String(args[0]).endsWith('/traces'))
          seen.push({ status: res.status, retryAfter: res.headers.get('retry-after') });
        return res;
      };
    });
    afterAll(async () => {
      globalThis.fetch = realFetch;
      jest.restoreAllMocks();
      await shutdown();
      await t?.close();
    });

    it('gets 429 past the burst, waits the Retry-After (1 s, not a minute) and lands every trace', async () => {
      const tenant = await createTenant(t);
      init({
        apiKey: tenant.apiKey,
        projectName: tenant.projectName,
        endpoint: t.baseUrl,
        flushInterval: 3600,
        batchSize: 1000,
      });
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        await withTrace(`burst-${i}`, { input: { i } }, async (ctx) => {
          ids.push(ctx.traceId);
          ctx.setOutput({ ok: true });
        });
      }
      await flush();
      const limited = seen.filter((s) => s.status === 429);
      expect(limited.length).toBeGreaterThan(0);
      // At 2 tokens/s one token is at most 0.5 s away: Retry-After rounds that up to 1.
      expect(new Set(limited.map((s) => s.retryAfter))).toEqual(new Set(['1']));
      const stored = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM traces WHERE project_id = $1 AND trace_id = ANY($2)`,
        [tenant.projectId, ids],
      );
      expect(stored[0].n).toBe(7);
      expect(seen.filter((s) => s.status === 202)).toHaveLength(7);
    });
  });
});
