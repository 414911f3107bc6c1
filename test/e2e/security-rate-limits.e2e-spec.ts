import { randomUUID } from 'node:crypto';
import { buildTrace } from '../factories/trace.factory';
import { createMember, createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';
import { scopedPrefix } from '../support/test-env';

/**
 * The eval-run creation limit (shared by create, batch and retry) holds per credential across two
 * API instances sharing Redis. The default limit across instances is in rate-limits.e2e-spec.ts,
 * ingestion's per-project token bucket in rate-limits-ingest.e2e-spec.ts.
 */
describe('security: eval-run limits across two API instances', () => {
  let one: TestApp;
  let two: TestApp;

  beforeAll(async () => {
    const env = {
      RATE_LIMIT_EVAL_RUNS: '3',
      RATE_LIMIT_DEFAULT: '1000',
      RATE_LIMIT_WINDOW_MS: '60000',
      QUEUE_PREFIX: scopedPrefix('rl'),
    };
    one = await createTestApp(env);
    two = await createTestApp(env);
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
  });

  const expectLimited = (
    res: { status: number; body: { error?: string; detail?: string }; headers: Record<string, string> },
    limit: number,
  ) => {
    expect(res.status).toBe(429);
    expect(res.body.error).toBe(`Rate limit exceeded: ${limit} per 1 minute`);
    expect(res.body.detail).toMatch(/Retry after \d+ seconds?\.$/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  };

  it('eval runs: create, batch and retry share one budget per credential across instances', async () => {
    const a: Tenant = await createTenant(one);
    const trace = buildTrace();
    await one.http.post('/traces').set(a.headers).send(trace).expect(202);
    await one.http
      .post('/evaluations/trace-runs')
      .set(a.headers)
      .send({ metrics: ['confidence'] })
      .expect(202);
    await two.http
      .post('/evaluations/trace-runs/batch')
      .set(a.headers)
      .send({ metrics: ['confidence'], trace_ids: [trace.trace_id] })
      .expect(202);
    await one.http.post(`/evaluations/trace-runs/${randomUUID()}/retry`).set(a.headers).expect(404); // counted too: the limit runs first
    expectLimited(
      await two.http
        .post('/evaluations/trace-runs')
        .set(a.headers)
        .send({ metrics: ['confidence'] }),
      3,
    );
    expectLimited(
      await one.http
        .post('/evaluations/trace-runs/batch')
        .set(a.headers)
        .send({ metrics: ['confidence'], trace_ids: [trace.trace_id] }),
      3,
    );
    expectLimited(await two.http.post(`/evaluations/trace-runs/${randomUUID()}/retry`).set(a.headers), 3);
    expect(Number((await one.http.get('/evaluations/trace-runs').set(a.headers).expect(200)).body.total)).toBe(2);
    const member = await createMember(one, a);
    await two.http
      .post('/evaluations/trace-runs')
      .set(member.headers)
      .send({ metrics: ['confidence'] })
      .expect(202);
  });
});
