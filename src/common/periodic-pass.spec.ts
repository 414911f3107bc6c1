import type { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { PeriodicPass, type PassSchedule } from './periodic-pass';

/** A pass that counts its starts and ends only when the test releases it (or fails when told to). */
class ControlledPass extends PeriodicPass<number> {
  starts = 0;
  failNext = false;
  release = () => {};
  readonly warnings: string[] = [];
  protected override readonly logger = {
    warn: (_: unknown, message: string) => this.warnings.push(message),
  } as unknown as Logger;

  constructor(private readonly plan?: PassSchedule) {
    super('the pass failed');
  }

  protected schedule(): PassSchedule | undefined {
    return this.plan;
  }

  protected async pass(): Promise<number> {
    this.starts++;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('pass failed');
    }
    await new Promise<void>((resolve) => (this.release = resolve));
    return this.starts;
  }

  get stopping(): boolean {
    return this.isStopped;
  }
}

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 5_000) throw new Error('condition not met within 5 s');
    await sleep(5);
  }
}

describe('PeriodicPass', () => {
  it('runs one pass at a time: a call while one runs gets that pass, a later call a new one', async () => {
    const p = new ControlledPass();
    const first = p.run();
    expect(p.run()).toBe(first);
    p.release();
    expect(await first).toBe(1);
    const second = p.run();
    p.release();
    expect(await second).toBe(2);
    expect(p.starts).toBe(2);
  });

  it('without a schedule, starts no timer', async () => {
    const p = new ControlledPass();
    p.onApplicationBootstrap();
    await sleep(30);
    expect(p.starts).toBe(0);
  });

  it('runs at once with firstAfterMs 0, then every interval; a failure is logged and the next interval retries', async () => {
    const p = new ControlledPass({ intervalMs: 20, firstAfterMs: 0 });
    p.onApplicationBootstrap();
    expect(p.starts).toBe(1);
    p.failNext = true;
    p.release();
    await until(() => p.warnings.length === 1);
    expect(p.warnings).toEqual(['the pass failed']);
    await until(() => p.starts === 3);
    p.release();
    await p.onModuleDestroy();
  });

  it('by default waits one interval for the first pass; firstAfterMs below the interval comes first', async () => {
    const plain = new ControlledPass({ intervalMs: 300 });
    const early = new ControlledPass({ intervalMs: 300, firstAfterMs: 10 });
    plain.onApplicationBootstrap();
    early.onApplicationBootstrap();
    await until(() => early.starts === 1);
    expect(plain.starts).toBe(0);
    early.release();
    await Promise.all([plain.onModuleDestroy(), early.onModuleDestroy()]);
  });

  it('shutdown waits for the pass in flight and no timer fires after it', async () => {
    const p = new ControlledPass({ intervalMs: 10, firstAfterMs: 0 });
    p.onApplicationBootstrap();
    let stopped = false;
    const stopping = p.onModuleDestroy().then(() => (stopped = true));
    await sleep(30);
    expect(stopped).toBe(false);
    expect(p.stopping).toBe(true);
    p.release();
    await stopping;
    await sleep(30);
    expect(p.starts).toBe(1);
  });
});
