import { getQueueToken } from '@nestjs/bull';
import { Logger } from '@nestjs/common';
import type { Queue } from 'bull';
import { randomUUID } from 'node:crypto';
import { EvalRunsProducer } from '../../src/modules/eval-runs/eval-runs.producer';
import { sliceJobId } from '../../src/modules/eval-runs/jobs/evaluate-items.job';
import { EVAL_RUNS_QUEUE } from '../../src/queue/queue.constants';
import { evalRunTestEnv, waitForRun } from '../factories/eval-run.factory';
import { ingestTrace } from '../factories/trace.factory';
import { JudgeServer, startJudgeServer } from '../support/judge-server';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

const ADMIN_TOKEN = 'first-run-admin-token-0123456789abcdef';

/** What a newcomer meets on a first run (issue 23): each surprise said, each header true. */
describe('first run', () => {
  let judge: JudgeServer;
  let t: TestApp;
  let tenant: Tenant;

  beforeAll(async () => {
    judge = await startJudgeServer();
    t = await createTestApp({
      ...evalRunTestEnv(judge.baseUrl, 'fr', { RUN_WORKER_IN_PROCESS: 'true' }),
      ADMIN_TOKEN,
    });
    tenant = await createTenant(t);
  });
  afterAll(async () => {
    await t?.close();
    await judge?.close();
  });

  describe('a project created by its first request says so', () => {
    it('answers X-Project-Created on the request that created it (even a GET), logs it once, and not after', async () => {
      const log = jest.spyOn(Logger.prototype, 'log');
      try {
        const name = `typo-${randomUUID().slice(0, 8)}`;
        const headers = { 'X-API-Key': tenant.apiKey, 'X-Project-Name': name };
        const first = await t.http.get('/traces').set(headers).expect(200);
        expect(first.headers['x-project-created']).toBe(name);
        expect(first.body.items).toEqual([]); // the original's behaviour, kept: an empty list
        const again = await t.http.get('/traces').set(headers).expect(200);
        expect(again.headers['x-project-created']).toBeUndefined();
        const lines = log.mock.calls.map((c) => String(c[0])).filter((m) => m.includes(`'${name}'`));
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(
          new RegExp(`^project '${name}' \\(.+\\) created on first use by API key ${tenant.apiKeyId}$`),
        );
        // An existing project: no header.
        const existing = await t.http.get('/traces').set(tenant.headers).expect(200);
        expect(existing.headers['x-project-created']).toBeUndefined();
      } finally {
        log.mockRestore();
      }
    });

    it('of concurrent first requests naming one new project, exactly one says it created it', async () => {
      const name = `race-${randomUUID().slice(0, 8)}`;
      const other = await createTenant(t);
      const headers = { 'X-API-Key': other.apiKey, 'X-Project-Name': name };
      const answers = await Promise.all(Array.from({ length: 4 }, () => t.http.get('/projects/current').set(headers)));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
      expect(answers.filter((a) => a.headers['x-project-created'] === name)).toHaveLength(1);
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    });
  });

  it('X-RateLimit-* describe the limit that refuses: the credential’s 5, not the project’s 25', async () => {
    const limited = await createTestApp({ RATE_LIMIT_DEFAULT: '5', RATE_LIMIT_PROJECT_FACTOR: '5' });
    try {
      await check(limited);
    } finally {
      await limited.close();
    }
  });
  const check = async (t: TestApp) => {
    const fresh = await createTenant(t);
    const seen: { limit: string; remaining: string }[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await t.http.get('/traces').set(fresh.headers).expect(200);
      seen.push({ limit: res.headers['x-ratelimit-limit'], remaining: res.headers['x-ratelimit-remaining'] });
    }
    expect(seen).toEqual([4, 3, 2, 1, 0].map((remaining) => ({ limit: '5', remaining: String(remaining) })));
    const refused = await t.http.get('/traces').set(fresh.headers).expect(429);
    expect(refused.body.error).toBe('Rate limit exceeded: 5 per 1 minute');
  };

  describe('messages that name the fix', () => {
    it('a run without metrics gets one error, that the field is required', async () => {
      const res = await t.http.post('/evaluations/trace-runs').set(tenant.headers).send({ name: 'x' }).expect(422);
      expect(res.body).toEqual({
        detail: 'Validation error',
        errors: [{ field: 'metrics', message: 'metrics is required' }],
      });
    });

    it('an API key sent as a Bearer token is pointed at X-API-Key', async () => {
      const res = await t.http
        .get('/traces')
        .set({ Authorization: `Bearer ${tenant.apiKey}`, 'X-Project-ID': tenant.projectId })
        .expect(401);
      expect(res.body.detail).toBe(
        'Invalid bearer token: jwt malformed. That is an API key, not a JWT: send it as X-API-Key (with X-Project-Name).',
      );
    });
  });

  describe('Bull Board', () => {
    const board = (path: string) => t.http.get(`/admin/queues${path}`).set('Authorization', `Bearer ${ADMIN_TOKEN}`);

    it('loads nothing from the internet: no font link in its page, and a same-origin CSP', async () => {
      const page = await board('').expect(200);
      expect(page.text).not.toMatch(/https?:\/\/(?!localhost|127\.0\.0\.1)[^"'\s]*fonts/);
      expect(page.text).not.toContain('fonts.googleapis.com');
      expect(page.headers['content-security-policy']).toContain("font-src 'self' data:");
    });

    it('keeps a finished run’s jobs in its Completed tab, and a kept job does not block re-enqueueing its slice', async () => {
      const [a, b] = [await ingestTrace(t, tenant), await ingestTrace(t, tenant)];
      const created = await t.http
        .post('/evaluations/trace-runs/batch')
        .set(tenant.headers)
        .send({ trace_ids: [a.trace_id, b.trace_id], metrics: ['confidence'] });
      expect(created.status).toBe(202);
      const run = await waitForRun(t, tenant, created.body.id);
      expect(run.status).toBe('COMPLETED');
      const queue = t.app.get<Queue>(getQueueToken(EVAL_RUNS_QUEUE));
      const jobId = sliceJobId(run.id, 0);
      const kept = await queue.getJob(jobId);
      expect(kept?.finishedOn).toBeGreaterThan(0);
      const tab = await board(`/api/queues?activeQueue=${EVAL_RUNS_QUEUE}&status=completed&page=1`).expect(200);
      const jobs = tab.body.queues.find((q: { name: string }) => q.name === EVAL_RUNS_QUEUE).jobs;
      expect(jobs.map((j: { id: string }) => j.id)).toContain(jobId);

      // The sweeper re-enqueues a slice by its job id: the kept job is replaced, not a no-op.
      expect(await t.app.get(EvalRunsProducer).enqueue(run.id, [0])).toBe(true);
      const again = await queue.getJob(jobId);
      expect(again?.timestamp).toBeGreaterThan(kept!.timestamp);
    });
  });
});
