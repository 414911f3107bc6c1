import { loadConfig } from '../../../config/env';
import type { JudgeService } from '../../judge/judge.service';
import type { MetricsService } from '../../metrics/metrics.service';
import type { EvaluateTraceOptions, MetricOutcome } from '../../metrics/metrics.types';
import type { TraceView } from '../../metrics/types/trace-view';
import type { EvalMetrics } from '../../operators/eval-metrics.service';
import type { EvalRunLedgerRepository, FinishedItem } from './eval-run-ledger.repository';
import { EvalRunExecutor } from './eval-run.executor';
import { FaultInjector } from '../../../common/faults/fault-injector';

const config = loadConfig({
  NODE_ENV: 'test',
  DATABASE_URL: 'postgresql://x@127.0.0.1/x',
  REDIS_URL: 'redis://127.0.0.1:6379/0',
  JWT_SECRET: 's'.repeat(32),
  EVAL_WORKER_CONCURRENCY: '2',
  EVAL_ITEM_LEASE_MS: '1000',
  EVAL_SHUTDOWN_GRACE_MS: '0',
});

/** An in-memory ledger of one run and one slice: just enough of the repository's contract. */
class MemoryLedger {
  items = new Map<string, { state: string; token: string | null }>();
  status = 'PENDING';
  settled: FinishedItem[] = [];
  released: string[] = [];
  renewed: string[][] = [];

  constructor(n: number) {
    for (let i = 0; i < n; i++) this.items.set(`t${i}`, { state: 'PENDING', token: null });
  }
  loadRun = async (id: string) => ({
    id,
    projectId: 'p',
    metricNames: ['m'],
    model: 'openai/x',
    status: this.status,
    maxJudgeCalls: null,
    maxJudgeTokens: null,
  });
  markRunning = async () => void (this.status = this.status === 'PENDING' ? 'RUNNING' : this.status);
  failRun = async () => false;
  /** Every item is in the ledger from the start here (no slice waits outside it). */
  materializeSlice = async () => 0;
  completeIfDone = async () => {
    const done = [...this.items.values()].every((i) => i.state === 'DONE');
    if (done && this.status === 'RUNNING') this.status = 'COMPLETED';
    return done;
  };
  claim = async (_run: string, _slice: number, token: string, limit: number) => {
    if (this.status !== 'RUNNING') return [];
    const out = [];
    for (const [traceId, item] of this.items) {
      if (out.length >= limit) break;
      if (item.state !== 'PENDING') continue;
      item.state = 'RUNNING';
      item.token = token;
      out.push({ traceId, metricNames: null, attempts: 1 });
    }
    return out;
  };
  sliceState = async () => ({
    status: this.status,
    open: [...this.items.values()].filter((i) => i.state !== 'DONE').length,
    total: this.items.size,
  });
  heartbeat = async (_token: string, _lease: number, held: Array<{ traceId: string }>) => {
    this.renewed.push(held.map((h) => h.traceId).sort());
    return held.length;
  };
  runStatuses = async (ids: string[]) => new Map(ids.map((id) => [id, this.status]));
  release = async (_run: string, ids: string[]) => {
    for (const id of ids) this.items.set(id, { state: 'PENDING', token: null });
    this.released.push(...ids);
  };
  releaseAll = async () => 0;
  itemBytes = async (_run: unknown, items: unknown[]) => items.map(() => 1);
  unclaim = async (_run: string, ids: string[]) => {
    for (const id of ids) this.items.set(id, { state: 'PENDING', token: null });
  };
  loadBatch = async (_run: unknown, ids: string[]) => ({
    traces: new Map(ids.map((id) => [id, { trace_id: id, environment: null } as unknown as TraceView])),
    scored: new Map<string, Set<string>>(),
    history: new Map(),
  });
  insertScores = async () => undefined;
  settle = async (_run: string, _token: string, items: FinishedItem[]) => {
    for (const i of items) this.items.set(i.traceId, { state: i.kind === 'done' ? 'DONE' : 'PENDING', token: null });
    this.settled.push(...items);
    return { finished: items.length, settled: items.length, status: this.status };
  };
  budgetFor = () => undefined;
}

/** Metrics whose evaluations wait until the test lets them answer. */
function gatedMetrics() {
  const started: string[] = [];
  let open!: () => void;
  let gate = new Promise<void>((r) => (open = r));
  const metrics = {
    isKnownTraceMetric: () => true,
    evaluateTrace: async (trace: TraceView, names: string[], opts: EvaluateTraceOptions): Promise<MetricOutcome[]> => {
      opts.beforeJudgeCall?.();
      started.push(trace.trace_id);
      await gate;
      const usage = { model: 'x', calls: 1, input_tokens: 1, output_tokens: 1, latency_ms: 1 };
      return names.map((metric) => ({ metric, ok: true, score: 1, reason: null, metadata: {}, usage }));
    },
  };
  return {
    metrics: metrics as unknown as MetricsService,
    started,
    answer: () => {
      open();
      gate = new Promise<void>((r) => (open = r));
    },
    answerAll: () => {
      open();
      gate = Promise.resolve();
    },
  };
}

const evalMetrics = { itemProcessed: () => undefined, itemDuration: () => undefined, runFinished: () => undefined };
const judge = { assertModelUsable: () => 'openai/x' } as unknown as JudgeService;
const until = async (check: () => boolean) => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
};

describe('EvalRunExecutor (in-memory ledger)', () => {
  let executor: EvalRunExecutor | undefined;
  const make = (ledger: MemoryLedger, metrics: MetricsService, faults = new FaultInjector(config)) =>
    (executor = new EvalRunExecutor(
      config,
      ledger as unknown as EvalRunLedgerRepository,
      metrics,
      judge,
      evalMetrics as unknown as EvalMetrics,
      faults,
    ));
  /** A slice of `items` items being worked, once its first two judge calls (the pool's two slots) started. */
  const sliceUnderWay = async (items: number) => {
    const ledger = new MemoryLedger(items);
    const m = gatedMetrics();
    const ex = make(ledger, m.metrics);
    const done = ex.runSlice('run', 0);
    await until(() => m.started.length === 2);
    return { ledger, m, ex, done };
  };
  afterEach(async () => executor?.onModuleDestroy());

  it('works a slice to the end, two items at a time, and renews only the items it holds', async () => {
    const { ledger, m, ex, done } = await sliceUnderWay(5);
    expect(ex.inFlight).toBe(2);
    // Held: the two being judged and one prefetched (claimed, waiting for a slot); t3, t4 not claimed yet.
    await until(() => ledger.renewed.length > 0);
    expect(ledger.renewed.at(-1)).toEqual(['t0', 't1', 't2']);
    m.answerAll();
    await done;
    expect(ledger.settled.map((s) => s.traceId).sort()).toEqual(['t0', 't1', 't2', 't3', 't4']);
    expect(ledger.status).toBe('COMPLETED');
    expect(ex.heldCount).toBe(0);
  });

  it("reports the slice's progress over all its items: a job taken up again starts where the slice is, not at 0", async () => {
    const ledger = new MemoryLedger(10);
    for (const id of ['t0', 't1', 't2', 't3']) ledger.items.set(id, { state: 'DONE', token: null });
    const m = gatedMetrics();
    const reported: number[] = [];
    const done = make(ledger, m.metrics).runSlice('run', 0, (pct) => void reported.push(pct));
    await until(() => m.started.length === 2);
    expect(reported).toEqual([]);
    m.answerAll();
    await done;
    // Four of ten were done by the slice's first job (say, before Bull's stalled-job check handed it on):
    // this one goes on from 40 %, where counting from its own start would have gone back to 16 %.
    expect(reported).toEqual([50, 60, 70, 80, 90, 100]);
  });

  it('does not track items whose claim answer was lost: they are never renewed and expire', async () => {
    const ledger = new MemoryLedger(3);
    const faults = new FaultInjector(config);
    faults.arm('claim', 1);
    const ex = make(ledger, gatedMetrics().metrics, faults);
    await expect(ex.runSlice('run', 0)).rejects.toThrow('injected fault at claim');
    expect([...ledger.items.values()].every((i) => i.state === 'RUNNING')).toBe(true);
    expect(ex.heldCount).toBe(0);
    ledger.renewed.length = 0;
    await until(() => ledger.renewed.length > 0);
    expect(ledger.renewed.every((r) => r.length === 0)).toBe(true);
  });

  it('once a run is stopped, starts no judge call of it and gives back what it had not started', async () => {
    const { ledger, m, ex, done } = await sliceUnderWay(6);
    ledger.status = 'CANCELLED';
    ex.stopRun('run', 'run CANCELLED');
    m.answerAll();
    await done;
    expect(m.started).toHaveLength(2);
    expect(ledger.settled.map((s) => s.traceId).sort()).toEqual(['t0', 't1']);
    expect(ledger.released).toEqual(['t2']);
    expect(['t2', 't3', 't4', 't5'].map((id) => ledger.items.get(id)!.state)).toEqual([
      'PENDING',
      'PENDING',
      'PENDING',
      'PENDING',
    ]);
    expect(ex.heldCount).toBe(0);
  });
});
