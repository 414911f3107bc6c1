import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import supertest from 'supertest';
import { evalRunTestEnv, expectCountersEqualStored, runLedgerSummary, waitForRun } from '../factories/eval-run.factory';
import { buildTrace } from '../factories/trace.factory';
import { JudgeServer, startJudgeServer } from '../support/judge-server';
import { freePort } from '../support/ports';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';
import { buildWorker, startApiProcess, startWorkerProcess, WorkerProcess } from '../support/worker-process';

const RUNS = '/evaluations/trace-runs';

/** One request on a connection of its own, so node:cluster hands each to the next API process. */
function send(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; requestId: string; retryAfter?: string; body: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}${path}`,
      {
        method,
        agent: false,
        headers: { ...headers, connection: 'close', ...(payload ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            requestId: String(res.headers['x-request-id']),
            retryAfter: res.headers['retry-after'] as string | undefined,
            body: text,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * The deployment of docs/scaling.md on one PostgreSQL and one Redis: the built API with
 * API_PROCESSES=2 (node:cluster) and three separate worker processes. Ingestion counts, the limits
 * and a run's scores must stay exact whichever process serves or judges.
 */
describe('two API processes and three workers on one PostgreSQL and Redis', () => {
  let judge: JudgeServer;
  let t: TestApp; // in-process, only for fixtures and SQL
  let api: WorkerProcess;
  let baseUrl: string;
  let tenant: Tenant;
  const workers: WorkerProcess[] = [];
  const BURST = 40;

  beforeAll(async () => {
    await buildWorker();
    judge = await startJudgeServer();
    const env = evalRunTestEnv(judge.baseUrl, 'mp', {
      RATE_LIMIT_INGEST: '0.001', // nothing refills while the test runs: the burst is the budget
      RATE_LIMIT_INGEST_BURST: String(BURST),
      RATE_LIMIT_EVAL_RUNS: '3',
      EVAL_JOB_SLICE_SIZE: '4',
      EVAL_WORKER_CONCURRENCY: '4',
      EVAL_SWEEP_INTERVAL_MS: '300',
      RUN_WORKER_IN_PROCESS: 'false',
    });
    t = await createTestApp(env);
    tenant = await createTenant(t);
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    api = await startApiProcess({ ...env, API_PROCESSES: '2', PORT: String(port), LOG_LEVEL: 'info' });
    await api.waitForOutput(/API listening/, 2);
    for (let i = 0; i < 3; i++) workers.push(await startWorkerProcess(env));
  }, 240_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill('SIGKILL')));
    await api?.kill('SIGKILL');
    await t?.close();
    await judge?.close();
  });

  it('both API processes serve; a burst past the per-project bucket is cut at exactly the burst; all accepted are stored', async () => {
    const traces = Array.from({ length: BURST + 12 }, () => buildTrace({ tags: ['multi-process'] }));
    const answers = await Promise.all(traces.map((tr) => send(baseUrl, 'POST', '/traces', tenant.headers, tr)));
    const accepted = answers.filter((a) => a.status === 202);
    expect(accepted).toHaveLength(BURST);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(12);
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM traces WHERE project_id = $1`, [
      tenant.projectId,
    ]);
    expect(n).toBe(BURST);
    // Which process answered each accepted request: its request log line carries its pid.
    const lines = await api.waitForOutput(/"msg":"POST \/traces 202/, BURST);
    const pids = new Set(
      lines
        .map((l) => JSON.parse(l) as { pid: number; reqId?: string })
        .filter((l) => accepted.some((a) => a.requestId === l.reqId))
        .map((l) => l.pid),
    );
    expect(pids.size).toBe(2);
    expect(pids.has(api.pid)).toBe(false); // the primary only supervises
  });

  it('the run-creation limit holds across processes, and three workers score a run exactly once per (trace, metric)', async () => {
    const ids: string[] = (
      await t.dataSource.query(`SELECT trace_id FROM traces WHERE project_id = $1 ORDER BY trace_id`, [
        tenant.projectId,
      ])
    ).map((r: { trace_id: string }) => r.trace_id);
    const created: string[] = [];
    for (const metrics of [['confidence'], ['confidence', 'coherence'], ['confidence']]) {
      const res = await send(baseUrl, 'POST', `${RUNS}/batch`, tenant.headers, { trace_ids: ids, metrics });
      expect(res.status).toBe(202);
      created.push((JSON.parse(res.body) as { id: string }).id);
    }
    const fourth = await send(baseUrl, 'POST', RUNS, tenant.headers, { metrics: ['confidence'] });
    expect(fourth.status).toBe(429);
    expect(Number(fourth.retryAfter)).toBeGreaterThan(0);

    const http = supertest(baseUrl);
    for (const [i, id] of created.entries()) {
      const run = await waitForRun({ http }, tenant, id, { timeoutMs: 120_000 });
      expect(run.status).toBe('COMPLETED');
      const metrics = i === 1 ? 2 : 1;
      const summary = await runLedgerSummary(t.dataSource, id);
      expect(summary.scores).toBe(ids.length * metrics);
      expect(summary.pairs).toBe(ids.length * metrics);
      await expectCountersEqualStored(t.dataSource, id);
    }
  });

  it('an API process that dies is replaced, and the service keeps answering', async () => {
    const lines = await api.waitForOutput(/"msg":"POST \/traces 202/, 1);
    const victim = (JSON.parse(lines[0]) as { pid: number }).pid;
    process.kill(victim, 'SIGKILL');
    await api.waitForOutput(new RegExp(`API process ${victim} exited \\(signal SIGKILL\\); starting another`));
    await api.waitForOutput(/API listening/, 3);
    for (let i = 0; i < 4; i++) expect((await send(baseUrl, 'GET', '/health', {})).status).toBe(200);
  });

  it('SIGTERM to the primary stops every API process', async () => {
    const code = await api.kill('SIGTERM');
    expect(code).toBe(0);
    await expect(send(baseUrl, 'GET', '/health', {})).rejects.toThrow();
  });

  it('an API process that cannot start stops the service with a non-zero code', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '0.0.0.0', r));
    const { port } = taken.address() as AddressInfo;
    try {
      const failing = await startApiProcess({
        ...evalRunTestEnv(judge.baseUrl, 'mp'),
        API_PROCESSES: '2',
        PORT: String(port),
      });
      expect(await failing.exited).not.toBe(0);
      expect(failing.output()).toMatch(/failed to start/);
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });
});
