import type { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { PeriodicPass } from './periodic-pass';

/** A pass that counts its starts and ends only when the test lets it (or fails when told to). */
function controlledPass() {
  const state = { starts: 0, failNext: false, release: () => {} };
  const pass = async () => {
    state.starts++;
    if (state.failNext) {
      state.failNext = false;
      throw new Error('pass failed');
    }
    await new Promise<void>((resolve) => (state.release = resolve));
    return state.starts;
  };
  const warnings: string[] = [];
  const logger = { warn: (_: unknown, message: string) => warnings.push(message) } as unknown as Logger;
  return { state, warnings, passes: new PeriodicPass(pass, logger, 'the pass failed') };
}

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 5_000) throw new Error('condition not met within 5 s');
    await sleep(5);
  }
}

describe('PeriodicPass', () => {
  it('runs one pass at a time: a call while one runs gets that pass, a later call a new one', async () => {
    const { state, passes } = controlledPass();
    const first = passes.run();
    expect(passes.run()).toBe(first);
    state.release();
    expect(await first).toBe(1);
    const second = passes.run();
    state.release();
    expect(await second).toBe(2);
    expect(state.starts).toBe(2);
  });

  it('runs at once with firstAfterMs 0, then every interval; a failure is logged and the next interval retries', async () => {
    const { state, warnings, passes } = controlledPass();
    passes.start(20, 0);
    expect(state.starts).toBe(1);
    state.failNext = true;
    state.release();
    await until(() => warnings.length === 1);
    expect(warnings).toEqual(['the pass failed']);
    await until(() => state.starts === 3);
    state.release();
    await passes.stop();
  });

  it('by default waits one interval for the first pass; firstAfterMs below the interval comes first', async () => {
    const plain = controlledPass();
    const early = controlledPass();
    plain.passes.start(300);
    early.passes.start(300, 10);
    await until(() => early.state.starts === 1);
    expect(plain.state.starts).toBe(0);
    early.state.release();
    await Promise.all([plain.passes.stop(), early.passes.stop()]);
  });

  it('stop() waits for the pass in flight and no timer fires after it', async () => {
    const { state, passes } = controlledPass();
    passes.start(10, 0);
    let stopped = false;
    const stopping = passes.stop().then(() => (stopped = true));
    await sleep(30);
    expect(stopped).toBe(false);
    expect(passes.isStopped).toBe(true);
    state.release();
    await stopping;
    await sleep(30);
    expect(state.starts).toBe(1);
  });
});
