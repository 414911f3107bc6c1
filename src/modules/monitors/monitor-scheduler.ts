import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module';
import type { AppConfig } from '../../config/env';
import { MONITOR_CLOCK, type MonitorClock } from './monitor-clock';
import { MonitorFiring } from './monitor-firing';

/**
 * Runs in every worker (and in the API with RUN_WORKER_IN_PROCESS): every MONITOR_TICK_MS it fires
 * the monitors that are due. Any number may run: claims are row locks in PostgreSQL, so no Redis
 * lock is needed and losing Redis loses no slot. A timer, like the eval-run sweeper, so flushing
 * Redis cannot remove it.
 */
@Injectable()
export class MonitorScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(MonitorScheduler.name);
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly firing: MonitorFiring,
    @Inject(MONITOR_CLOCK) private readonly clock: MonitorClock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.monitors.schedulerEnabled) return;
    this.timer = setInterval(() => void this.tick(), this.config.monitors.tickMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** One pass at the clock's time; overlapping passes are skipped. */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const fired = await this.firing.tick(this.clock.now());
      if (fired.length) this.logger.log({ monitors: fired.length }, 'Monitor slots fired');
    } catch (error) {
      this.logger.warn({ err: error }, 'Monitor tick failed; retrying at the next tick');
    } finally {
      this.running = false;
    }
  }
}
