import { getQueueToken } from '@nestjs/bull';
import { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Queue } from 'bull';
import { randomUUID } from 'node:crypto';
import { AppConfigModule } from '../../src/config/config.module';
import { loadConfig } from '../../src/config/env';
import { EvalMetrics } from '../../src/modules/operators/eval-metrics.service';
import { JudgeMetrics } from '../../src/modules/operators/judge-metrics.service';
import { WorkerMetricsModule } from '../../src/modules/operators/worker-metrics.module';
import { WorkerMetricsPublisher } from '../../src/modules/operators/worker-metrics.store';
import { EVAL_RUNS_QUEUE } from '../../src/queue/queue.constants';
import { QueueModule } from '../../src/queue/queue.module';
import { buildTrace } from '../factories/trace.factory';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';
import { TEST_ENV } from '../support/test-env';
import { sample } from '../support/prom-sample';

const ADMIN_TOKEN = 'admin-secret-token-for-tests';
const RUNS_REFRESH_MS = 1000;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** The value of one sample of the exposition text, or undefined when absent. */
describe('operator endpoints', () => {
  describe('without ADMIN_TOKEN', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ ADMIN_TOKEN: '' });
    });
    afterAll(() => t.close());

    it('has no Bull Board: 404 even with credentials', async () => {
      const res = await t.http.get('/admin/queues').set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(404);
      expect(res.body).toEqual({ detail: 'Route GET /admin/queues not found.' });
      await t.http.get('/admin/queues/api/queues').expect(404);
    });

    it('still serves /metrics without credentials', async () => {
      const res = await t.http.get('/metrics').expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.text).toContain('process_cpu_user_seconds_total');
    });
  });

  describe('with ADMIN_TOKEN', () => {
    let t: TestApp;
    let tenant: Tenant;
    const scrape = () => t.http.get('/metrics').set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(200);
    beforeAll(async () => {
      t = await createTestApp({
        ADMIN_TOKEN,
        RATE_LIMIT_DEFAULT: '3',
        RATE_LIMIT_INGEST: '1000',
        METRICS_RUNS_REFRESH_MS: String(RUNS_REFRESH_MS),
      });
      tenant = await createTenant(t);
    });
    afterAll(() => t.close());

    describe('Bull Board at /admin/queues', () => {
      it('asks for the token: 401 with a Basic challenge, also for a wrong token', async () => {
        const none = await t.http.get('/admin/queues').expect(401);
        expect(none.headers['www-authenticate']).toMatch(/^Basic realm=/);
        expect(none.body).toEqual({ detail: 'Admin token required.' });
        await t.http.get('/admin/queues').set('Authorization', 'Bearer wrong').expect(401);
        await t.http.get('/admin/queues').set('Authorization', basic('admin', 'wrong')).expect(401);
        await t.http.get('/admin/queues/api/queues').expect(401);
        await t.http.get('/admin/queues').set(tenant.headers).expect(401);
      });

      it('serves the UI and its API with the token as Bearer or as the Basic password', async () => {
        const ui = await t.http.get('/admin/queues').set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(200);
        expect(ui.headers['content-type']).toMatch(/text\/html/);
        expect(ui.text).toContain('/admin/queues');
        await t.http.get('/admin/queues').set('Authorization', basic('anyone', ADMIN_TOKEN)).expect(200);
        const api = await t.http
          .get('/admin/queues/api/queues')
          .set('Authorization', basic('ops', ADMIN_TOKEN))
          .expect(200);
        expect(api.body.queues.map((q: { name: string }) => q.name)).toContain('eval-runs');
      });
    });

    describe('/metrics', () => {
      it('needs the admin token, and is not rate limited (RATE_LIMIT_DEFAULT is 3 here)', async () => {
        for (let i = 0; i < 8; i++) await scrape();
        await t.http.get('/metrics').expect(401);
        await t.http.get('/metrics').set(tenant.headers).expect(401);
        await t.http.get('/METRICS').expect(401);
      });

      it('is absent from the public OpenAPI document, as is the board', async () => {
        const doc = await t.http.get('/openapi.json').expect(200);
        const paths = Object.keys(doc.body.paths);
        expect(paths.some((p) => p.startsWith('/metrics') || p.startsWith('/admin'))).toBe(false);
        expect(paths).toContain('/evaluations/trace-scores');
      });

      it('times HTTP requests by route pattern and status, never by raw id', async () => {
        const trace = buildTrace();
        await t.http.post('/traces').set(tenant.headers).send(trace).expect(202);
        await t.http
          .post('/evaluations/trace-scores')
          .set(tenant.headers)
          .send({ trace_id: trace.trace_id, name: 'm', value: '0.5' })
          .expect(201);
        await t.http.delete(`/evaluations/trace-scores/${randomUUID()}`).set(tenant.headers).expect(404);
        await t.http.get(`/no-such-route/${randomUUID()}`).expect(404);

        const text = (await scrape()).text;
        const h = 'pandaprobe_http_request_duration_seconds_count';
        expect(sample(text, h, { method: 'POST', route: '/evaluations/trace-scores', status_code: '201' })).toBe(1);
        expect(
          sample(text, h, { method: 'DELETE', route: '/evaluations/trace-scores/:score_id', status_code: '404' }),
        ).toBe(1);
        expect(sample(text, h, { method: 'GET', route: 'unmatched', status_code: '404' })).toBeGreaterThanOrEqual(1);
        expect(text).not.toMatch(/route="[^"]*[0-9a-f]{8}-[0-9a-f]{4}-/);
        expect(text).toContain(
          'pandaprobe_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/evaluations/trace-scores",status_code="201"}',
        );
      });

      it('counts eval runs by status from PostgreSQL, at most once per METRICS_RUNS_REFRESH_MS', async () => {
        await new Promise((r) => setTimeout(r, RUNS_REFRESH_MS));
        const before = (await scrape()).text;
        const completed = sample(before, 'pandaprobe_eval_runs', { status: 'COMPLETED' }) ?? 0;
        const failed = sample(before, 'pandaprobe_eval_runs', { status: 'FAILED' }) ?? 0;
        expect(sample(before, 'pandaprobe_eval_runs', { status: 'PENDING' })).toEqual(expect.any(Number));
        await t.dataSource.query(
          `INSERT INTO eval_runs (project_id, metric_names, status) VALUES ($1, ARRAY['x'], 'COMPLETED'), ($1, ARRAY['x'], 'COMPLETED'), ($1, ARRAY['x'], 'FAILED')`,
          [tenant.projectId],
        );
        // Within the interval a scrape reuses the last count: scraping costs no query over all runs.
        const cached = (await scrape()).text;
        expect(sample(cached, 'pandaprobe_eval_runs', { status: 'COMPLETED' })).toBe(completed);
        await new Promise((r) => setTimeout(r, RUNS_REFRESH_MS));
        const after = (await scrape()).text;
        expect(sample(after, 'pandaprobe_eval_runs', { status: 'COMPLETED' })).toBe(completed + 2);
        expect(sample(after, 'pandaprobe_eval_runs', { status: 'FAILED' })).toBe(failed + 1);
        const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM eval_runs WHERE status = 'COMPLETED'`);
        expect(sample(after, 'pandaprobe_eval_runs', { status: 'COMPLETED' })).toBe(n);
      });

      it('reports the eval-run queue depth from Redis', async () => {
        const before = (await scrape()).text;
        for (const state of ['waiting', 'active', 'delayed', 'failed', 'paused']) {
          expect(sample(before, 'pandaprobe_queue_jobs', { queue: 'eval-runs', state })).toEqual(expect.any(Number));
        }
        const delayed = sample(before, 'pandaprobe_queue_jobs', { queue: 'eval-runs', state: 'delayed' })!;
        const queue = t.app.get<Queue>(getQueueToken(EVAL_RUNS_QUEUE));
        const jobs = await Promise.all([1, 2].map(() => queue.add('operators-probe', {}, { delay: 600_000 })));
        try {
          const after = (await scrape()).text;
          expect(sample(after, 'pandaprobe_queue_jobs', { queue: 'eval-runs', state: 'delayed' })).toBe(delayed + 2);
        } finally {
          await Promise.all(jobs.map((j) => j.remove()));
        }
      });

      it("adds a worker process's counters, published through Redis, to the API's own", async () => {
        const before = (await scrape()).text;
        const apiOk =
          sample(before, 'pandaprobe_judge_calls_total', { provider: 'openai', model: 'openai/judge-test', outcome: 'ok' }) ??
          0;
        const apiTokens =
          sample(before, 'pandaprobe_judge_tokens_total', { provider: 'openai', direction: 'input' }) ?? 0;

        // A worker-shaped application context in this process: no HTTP, its own registry.
        const worker: INestApplicationContext = await (
          await Test.createTestingModule({
            imports: [AppConfigModule.forRoot(loadConfig({ ...TEST_ENV })), QueueModule, WorkerMetricsModule],
          }).compile()
        )
          .createNestApplication()
          .init();
        try {
          expect(worker.get(JudgeMetrics)).not.toBe(t.app.get(JudgeMetrics));
          worker
            .get(JudgeMetrics)
            .recordCall({ provider: 'openai', model: 'openai/judge-test', ok: true, latencyMs: 100, inputTokens: 7 });
          worker.get(JudgeMetrics).recordCall({ provider: 'anthropic', model: 'claude', ok: true, latencyMs: 100 });
          // A model a tenant named is never a label of its own (unbounded series): it counts as `other`.
          worker.get(JudgeMetrics).recordCall({ provider: 'openai', model: 'openai/<script>', ok: true, latencyMs: 1 });
          worker.get(EvalMetrics).itemProcessed('succeeded', 'confidence');
          await worker.get(WorkerMetricsPublisher).publish();

          const text = (await scrape()).text;
          expect(
            sample(text, 'pandaprobe_judge_calls_total', { provider: 'openai', model: 'openai/judge-test', outcome: 'ok' }),
          ).toBe(apiOk + 1);
          expect(sample(text, 'pandaprobe_judge_calls_total', { provider: 'anthropic', outcome: 'ok' })).toBe(1);
          expect(text).not.toContain('<script>');
          expect(
            sample(text, 'pandaprobe_judge_calls_total', { provider: 'openai', model: 'other', outcome: 'ok' }),
          ).toBeGreaterThanOrEqual(1);
          expect(sample(text, 'pandaprobe_judge_tokens_total', { provider: 'openai', direction: 'input' })).toBe(
            apiTokens + 7,
          );
          expect(
            sample(text, 'pandaprobe_eval_items_processed_total', { outcome: 'succeeded', metric: 'confidence' }),
          ).toBe(1);
          // Process metrics stay the API's own: one series, not a sum over processes.
          expect(text.match(/^nodejs_version_info\{/gm)).toHaveLength(1);
        } finally {
          await worker.close();
        }
        const gone = (await scrape()).text;
        expect(sample(gone, 'pandaprobe_judge_calls_total', { provider: 'anthropic', outcome: 'ok' })).toBeUndefined();
      });
    });
  });
});
