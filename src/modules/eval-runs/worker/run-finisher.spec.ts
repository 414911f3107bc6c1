import type { EvalRunLedgerRepository, ExecutableRun, FinishedItem, ScoreToWrite } from './eval-run-ledger.repository';
import { FaultInjector } from '../../../common/faults/fault-injector';
import { RunFinisher } from './run-finisher';
import { loadConfig } from '../../../config/env';

const run = (budgeted = false): ExecutableRun => ({
  id: 'run',
  projectId: 'p',
  targetType: 'TRACE',
  signalWeights: null,
  metricNames: ['m'],
  model: 'openai/x',
  status: 'RUNNING',
  maxJudgeCalls: budgeted ? 5 : null,
  maxJudgeTokens: null,
  createdAt: new Date(),
});
const item = (traceId: string): FinishedItem => ({
  traceId,
  kind: 'done',
  lastError: null,
  usage: { calls: 1, input_tokens: 1, output_tokens: 1, latency_ms: 1 },
});
const score = (traceId: string): ScoreToWrite => ({
  traceId,
  environment: null,
  name: 'm',
  value: '1.0',
  status: 'SUCCESS',
  reason: null,
  metadata: {},
});

/** Records what the finisher asks of the ledger; the first write blocks until `open()`. */
function recordingLedger() {
  const calls: string[] = [];
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let first = true;
  const ledger = {
    insertScores: async (_run: ExecutableRun, scores: ScoreToWrite[]) => {
      calls.push(`insert ${scores.map((s) => s.traceId).join(',')}`);
      if (first) {
        first = false;
        await gate;
      }
    },
    settle: async (_id: string, _token: string, items: FinishedItem[]) => {
      calls.push(`settle ${items.map((i) => i.traceId).join(',')}`);
      return { finished: items.length, settled: items.length, status: 'RUNNING' };
    },
  };
  return { ledger: ledger as unknown as EvalRunLedgerRepository, calls, open };
}

const faults = () =>
  new FaultInjector(
    loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: 'postgresql://x@127.0.0.1/x',
      REDIS_URL: 'redis://127.0.0.1:6379/0',
      JWT_SECRET: 's'.repeat(32),
    }),
  );

describe('RunFinisher', () => {
  it('writes at once when idle and groups what arrives meanwhile into the next batch: scores, then settle', async () => {
    const { ledger, calls, open } = recordingLedger();
    const batches: number[] = [];
    const f = new RunFinisher(ledger, run(), 'token', faults(), (_r, batch) => void batches.push(batch.length));
    const first = f.submit(item('a'), [score('a')]);
    const later = [f.submit(item('b'), [score('b')]), f.submit(item('c'), [score('c')])];
    open();
    await Promise.all([first, ...later]);
    expect(calls).toEqual(['insert a', 'settle a', 'insert b,c', 'settle b,c']);
    expect(batches).toEqual([1, 2]);
  });

  it('reports the status a batch found: a CANCELLED run (its items given back by settle)', async () => {
    const { ledger, open } = recordingLedger();
    (ledger as unknown as { settle: unknown }).settle = async () => ({ finished: 0, settled: 1, status: 'CANCELLED' });
    open();
    const seen: Array<string | undefined> = [];
    const f = new RunFinisher(ledger, run(true), 'token', faults(), (r) => void seen.push(r.status));
    await expect(f.submit(item('a'), [score('a')])).resolves.toMatchObject({ finished: 0, status: 'CANCELLED' });
    expect(seen).toEqual(['CANCELLED']);
  });

  it('rejects every item of a batch whose write failed (they are then released), and goes on with the next', async () => {
    const { ledger, calls, open } = recordingLedger();
    const injector = faults();
    injector.arm('score_write', 1);
    const f = new RunFinisher(ledger, run(), 'token', injector, () => undefined);
    const first = f.submit(item('a'), [score('a')]);
    const second = f.submit(item('b'), [score('b')]);
    open();
    await expect(first).rejects.toThrow('injected fault at score_write');
    await expect(second).resolves.toMatchObject({ settled: 1 });
    expect(calls).toEqual(['insert a', 'insert b', 'settle b']);
  });
});
