import { Inject, Injectable } from '@nestjs/common';
import { PeriodicPass, type PassSchedule } from '../../common/periodic-pass';
import { APP_CONFIG } from '../../config/config.module';
import type { AppConfig } from '../../config/env';
import { MONITOR_CLOCK, type MonitorClock } from './monitor-clock';
import { MonitorFiring } from './monitor-firing';

/**
 * Runs in every worker (and in the API with RUN_WORKER_IN_PROCESS): every MONITOR_TICK_MS it fires
 * the monitors that are due. Any number may run: claims are row locks in PostgreSQL, so no Redis
 * lock is needed and losing Redis loses no slot. A timer (PeriodicPass), like the eval-run sweeper, so
 * flushing Redis cannot remove it.
 */
@Injectable()
export class MonitorScheduler extends PeriodicPass<void> {
  constructor(
    private readonly firing: MonitorFiring,
    @Inject(MONITOR_CLOCK) private readonly clock: MonitorClock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super('Monitor tick failed; retrying at the next tick');
  }

  protected schedule(): PassSchedule | undefined {
    const { schedulerEnabled, tickMs } = this.config.monitors;
    return schedulerEnabled ? { intervalMs: tickMs } : undefined;
  }

  /** One pass at the clock's time (or the one in flight). */
  tick(): Promise<void> {
    return this.run();
  }

  protected async pass(): Promise<void> {
    const fired = await this.firing.tick(this.clock.now());
    if (fired.length) this.logger.log({ monitors: fired.length }, 'Monitor slots fired');
  }
}
