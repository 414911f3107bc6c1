import { loadConfig } from '../../../config/env';
import type { EvalMetrics } from '../../operators/eval-metrics.service';
import type { EvalRunsProducer } from '../eval-runs.producer';
import type { EvalRunLedgerRepository } from './eval-run-ledger.repository';
import type { EvalRunExecutor } from './eval-run.executor';
import { EvalRunSweeper } from './eval-run.sweeper';

const config = loadConfig({
  NODE_ENV: 'test',
  DATABASE_URL: 'postgresql://x@127.0.0.1/x',
  REDIS_URL: 'redis://127.0.0.1:6379/0',
  JWT_SECRET: 's'.repeat(32),
});

function sweeperWith(redisUp: boolean) {
  const enqueued: Array<[string, number[]]> = [];
  const worked: Array<[string, number]> = [];
  const finished: string[] = [];
  const ledger = {
    completeSettledRuns: async () => ['done-1', 'done-2'],
  };
  const producer = {
    // The claimable slices of every project's window (SliceWindow, tested against PostgreSQL in
    // test/e2e/eval-runs-fairness.e2e-spec.ts).
    claimableWindows: async () => [
      { runId: 'a', slice: 0 },
      { runId: 'a', slice: 3 },
      { runId: 'b', slice: 1 },
    ],
    enqueue: async (runId: string, slices: number[]) => {
      enqueued.push([runId, slices]);
      return redisUp;
    },
  };
  const executor = {
    isStopping: false,
    runSlice: async (runId: string, slice: number) => void worked.push([runId, slice]),
  };
  const metrics = { runFinished: (status: string) => finished.push(status) };
  const sweeper = new EvalRunSweeper(
    config,
    ledger as unknown as EvalRunLedgerRepository,
    producer as unknown as EvalRunsProducer,
    executor as unknown as EvalRunExecutor,
    metrics as unknown as EvalMetrics,
  );
  return { sweeper, enqueued, worked, finished };
}

describe('EvalRunSweeper', () => {
  it('completes settled runs and re-enqueues the claimable slices of the projects’ windows, one call per run', async () => {
    const { sweeper, enqueued, worked, finished } = sweeperWith(true);
    expect(await sweeper.sweep()).toHaveLength(3);
    expect(enqueued).toEqual([
      ['a', [0, 3]],
      ['b', [1]],
    ]);
    expect(worked).toEqual([]);
    expect(finished).toEqual(['COMPLETED', 'COMPLETED']);
  });

  it('works the slices itself when Redis is unreachable', async () => {
    const { sweeper, worked } = sweeperWith(false);
    await sweeper.sweep();
    expect(worked).toEqual([
      ['a', 0],
      ['a', 3],
      ['b', 1],
    ]);
  });
});
