import type { Job, Queue } from 'bull';
import type { AppConfig } from '../../../config/env';
import type { EvalRunsProducer } from '../eval-runs.producer';
import type { EvaluateItemsJob } from '../jobs/evaluate-items.job';
import type { EvalRunExecutor } from './eval-run.executor';
import { EvalRunProcessor } from './eval-run.processor';

/** A processor over a scripted executor; `events` records what its activity listener was told. */
function setup(runSlice: () => Promise<void>) {
  const events: string[] = [];
  const executor = { runSlice, isStopping: false } as unknown as EvalRunExecutor;
  const producer = { enqueueRun: async () => events.push('enqueueRun') } as unknown as EvalRunsProducer;
  const processor = new EvalRunProcessor({} as AppConfig, {} as Queue<EvaluateItemsJob>, executor, producer);
  processor.activity = { started: () => events.push('started'), ended: () => events.push('ended') };
  const job = { data: { runId: 'r', slice: 0 }, progress: async () => undefined } as unknown as Job<EvaluateItemsJob>;
  return { processor, job, events };
}

describe('EvalRunProcessor activity (the worker collection at rest)', () => {
  it('is told a job started and ended, around the slice and the next enqueue', async () => {
    const { processor, job, events } = setup(async () => undefined);
    await processor.handle(job);
    expect(events).toEqual(['started', 'enqueueRun', 'ended']);
  });

  it('is told the job ended when the slice throws, so the worker is not left "busy" forever', async () => {
    const { processor, job, events } = setup(async () => {
      throw new Error('ledger unreachable');
    });
    await expect(processor.handle(job)).rejects.toThrow('ledger unreachable');
    expect(events).toEqual(['started', 'ended']);
  });
});
