import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../../config/config.module';
import type { AppConfig } from '../../config/env';
import { TraceRetentionStore } from '../traces/trace-retention.store';

const DAY_MS = 86_400_000;

/** What one sweep deleted in one project. */
export interface RetentionResult {
  projectId: string;
  days: number;
  cutoff: Date;
  deleted: number;
}

/**
 * Deletes traces that started more than the project's retention days before `now` (spans and
 * trace scores go with them through their ON DELETE CASCADE foreign keys), in small batches, each
 * its own short transaction. Rows locked by anyone else (an ingest updating the trace, a score
 * insert holding its foreign-key lock) are skipped, not waited for, and taken at the next sweep.
 * Run by worker processes every RETENTION_INTERVAL_MS; several workers skip each other's rows.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RetentionService.name);
  private timer?: NodeJS.Timeout;
  private running: Promise<RetentionResult[]> | null = null;
  private stopping = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly ds: DataSource,
    private readonly traces: TraceRetentionStore,
  ) {}

  onApplicationBootstrap(): void {
    const { intervalMs } = this.config.retention;
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => void this.sweepInBackground(), intervalMs);
    this.timer.unref();
    // The first sweep soon after start, not a whole interval later.
    setTimeout(() => void this.sweepInBackground(), Math.min(intervalMs, 10_000)).unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass over every project with a retention; `now` is injectable so tests fix the clock. */
  async sweep(now: Date = new Date()): Promise<RetentionResult[]> {
    const projects: { id: string; days: number }[] = await this.ds.query(
      `SELECT id, coalesce(retention_days, $1)::int AS days FROM projects
       WHERE coalesce(retention_days, $1) > 0 ORDER BY id`,
      [this.config.retention.days],
    );
    const results: RetentionResult[] = [];
    for (const p of projects) {
      if (this.stopping) break;
      const cutoff = new Date(now.getTime() - p.days * DAY_MS);
      results.push({ projectId: p.id, days: p.days, cutoff, deleted: await this.purge(p.id, cutoff) });
    }
    return results;
  }

  /** Deletes a project's traces that started before `cutoff`, batch by batch; returns how many. */
  async purge(projectId: string, cutoff: Date): Promise<number> {
    const { batchSize, batchPauseMs } = this.config.retention;
    let total = 0;
    while (!this.stopping) {
      const deleted = await this.traces.deleteStartedBefore(projectId, cutoff, batchSize);
      total += deleted;
      if (deleted < batchSize) break;
      if (batchPauseMs > 0) await sleep(batchPauseMs, undefined, { ref: false });
    }
    return total;
  }

  private async sweepInBackground(): Promise<void> {
    if (this.running || this.stopping) return;
    this.running = this.sweep();
    try {
      const results = await this.running;
      for (const r of results.filter((x) => x.deleted > 0)) {
        this.logger.log(
          { projectId: r.projectId, days: r.days, cutoff: r.cutoff.toISOString(), deleted: r.deleted },
          'Retention deleted old traces',
        );
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'Retention sweep failed; the next one retries');
    } finally {
      this.running = null;
    }
  }
}
