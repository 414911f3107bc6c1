import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { EVAL_RUNS_QUEUE } from '../../src/queue/queue.constants';
import {
  abandonStaleRuns,
  evalRunTestEnv,
  expectCountersEqualStored,
  runLedgerSummary,
  seedTraceIds,
  seedTracesSql,
  waitForRun,
  waitUntil,
} from '../factories/eval-run.factory';
import { JudgeServer, startJudgeServer } from '../support/judge-server';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';
import { startWorkerProcess, WorkerProcess } from '../support/worker-process';

const RUNS = '/evaluations/trace-runs';
const BIG = 50_000;
const SMALL = 16;
/** EVAL_PROJECT_SLICES_IN_FLIGHT's default. */
const WINDOW = 4;
/** Each judge call takes 1.5–3 s, spread as a real provider's latency is (seeded). */
const LATENCY_MS = 1500;
const JITTER_MS = 1500;

/**
 * Issue 22, fair scheduling: one worker process at the defaults (32 slots, 16 Bull jobs, slices of
 * 500 items, a window of 4 slices per project) and a scripted judge whose calls take 1.5–3 s.
 * Project B's 16-trace run (half the worker's slots: its fair share next to one busy project) is
 * timed alone, then while project A's 50,000-item run keeps every slot busy. Before fair scheduling
 * B's one slice waited in the FIFO queue behind A's 100 (an hour at this latency), and its job
 * behind A's in the worker; now A has only its window queued, B's job starts at once and every slot
 * A gives back goes to B until they hold as many. Times are the run's own
 * `completed_at - created_at` (database clock, no polling in them).
 */
describe('fair scheduling across projects (one worker, scripted judge with latency)', () => {
  let judge: JudgeServer;
  let t: TestApp;
  let a: Tenant;
  let b: Tenant;
  let smallIds: string[];
  let worker: WorkerProcess;

  beforeAll(async () => {
    await abandonStaleRuns();
    judge = await startJudgeServer({ latencyMs: LATENCY_MS, jitterMs: JITTER_MS });
    const env = evalRunTestEnv(judge.baseUrl, 'fair', { RUN_WORKER_IN_PROCESS: 'false' });
    t = await createTestApp(env);
    a = await createTenant(t);
    b = await createTenant(t);
    await seedTracesSql(t.dataSource, a.projectId, BIG, { prefix: 'big' });
    smallIds = await seedTraceIds(t.dataSource, b.projectId, SMALL, 'small');
    worker = await startWorkerProcess(env);
    // Started, not still loading, before any run is timed (a busy machine can take a while).
    await worker.waitForOutput(/worker started/, 1, 120_000);
  }, 360_000);

  afterAll(async () => {
    await worker?.kill('SIGKILL');
    await t?.close();
    await judge?.close();
  });

  /** Creates B's run of its 16 traces and returns its time from creation to COMPLETED, in ms. */
  async function smallRun(timeoutMs: number): Promise<{ id: string; ms: number }> {
    const run = (
      await t.http.post(`${RUNS}/batch`).set(b.headers).send({ trace_ids: smallIds, metrics: ['confidence'] }).expect(202)
    ).body;
    const done = await waitForRun(t, b, run.id, { timeoutMs });
    expect(done.status).toBe('COMPLETED');
    const [row] = await t.dataSource.query(
      `SELECT (extract(epoch FROM completed_at - created_at) * 1000)::int AS ms FROM eval_runs WHERE id = $1`,
      [run.id],
    );
    await expectCountersEqualStored(t.dataSource, run.id);
    expect((await runLedgerSummary(t.dataSource, run.id)).pairs).toBe(SMALL);
    return { id: run.id, ms: row.ms };
  }

  /** A's slice jobs waiting in or taken from the queue. */
  async function queuedSlicesOf(runId: string): Promise<number> {
    const queue = t.app.get<Queue>(getQueueToken(EVAL_RUNS_QUEUE));
    const jobs = await queue.getJobs(['waiting', 'active', 'delayed', 'paused']);
    return jobs.filter((j) => j?.data?.runId === runId).length;
  }

  it("a small run of project B finishes within 2x its solo time while A's 50,000-item run holds the worker", async () => {
    await smallRun(120_000); // warm-up: first judge calls, connections, lazy modules
    const solo = await smallRun(60_000);

    const big = (
      await t.http.post(RUNS).set(a.headers).send({ metrics: ['confidence'], sampling_rate: 1 }).expect(202)
    ).body;
    expect(big.total_targets).toBe(BIG);
    // A holds every slot of the worker before B asks, in its steady state (its first calls, started
    // together, have ended, so its slots come back one by one as a busy worker's do).
    await waitUntil(
      async () => judge.inFlight >= 28 && (await runLedgerSummary(t.dataSource, big.id)).done >= 64,
      'A saturating the judge',
      90_000,
    );
    const before = (await runLedgerSummary(t.dataSource, big.id)).done;
    const queued = await queuedSlicesOf(big.id);

    const shared = await smallRun(Math.max(30_000, 20 * solo.ms));
    const bigNow = await runLedgerSummary(t.dataSource, big.id);
    // A kept going during B's run and is far from done: the two really overlapped.
    expect(bigNow.status).toBe('RUNNING');
    expect(bigNow.done).toBeGreaterThan(before);
    expect(bigNow.done).toBeLessThan(BIG / 2);

    expect(shared.ms).toBeLessThanOrEqual(2 * solo.ms);
    // Only A's window was in the queue, not its 100 slices.
    expect(queued).toBeLessThanOrEqual(WINDOW);

    // The big run still ends cleanly: cancel, then nothing held, counters equal to the stored scores.
    await t.http.post(`${RUNS}/${big.id}/cancel`).set(a.headers).expect(202);
    await waitUntil(async () => (await runLedgerSummary(t.dataSource, big.id)).leased === 0, 'no lease left', 30_000);
    await waitUntil(() => judge.inFlight === 0, 'no judge call in flight', 30_000);
    const cancelled = await runLedgerSummary(t.dataSource, big.id);
    expect(cancelled.status).toBe('CANCELLED');
    await expectCountersEqualStored(t.dataSource, big.id);
  }, 300_000);
});
