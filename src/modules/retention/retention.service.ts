import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { PeriodicPass, type PassSchedule } from '../../common/periodic-pass';
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
export class RetentionService extends PeriodicPass<void> {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly ds: DataSource,
    private readonly traces: TraceRetentionStore,
  ) {
    super('Retention sweep failed; the next one retries');
  }

  protected schedule(): PassSchedule | undefined {
    const { intervalMs } = this.config.retention;
    // The first sweep soon after start, not a whole interval later.
    return intervalMs > 0 ? { intervalMs, firstAfterMs: Math.min(intervalMs, 10_000) } : undefined;
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
      if (this.isStopped) break;
      const cutoff = new Date(now.getTime() - p.days * DAY_MS);
      results.push({ projectId: p.id, days: p.days, cutoff, deleted: await this.purge(p.id, cutoff) });
    }
    return results;
  }

  /** Deletes a project's traces that started before `cutoff`, batch by batch; returns how many. */
  async purge(projectId: string, cutoff: Date): Promise<number> {
    const { batchSize, batchPauseMs } = this.config.retention;
    let total = 0;
    while (!this.isStopped) {
      const deleted = await this.traces.deleteStartedBefore(projectId, cutoff, batchSize);
      total += deleted;
      if (deleted < batchSize) break;
      if (batchPauseMs > 0) await sleep(batchPauseMs, undefined, { ref: false });
    }
    return total;
  }

  /** The timer's pass: a sweep at the current time, its deletions logged. */
  protected async pass(): Promise<void> {
    for (const r of (await this.sweep()).filter((x) => x.deleted > 0)) {
      this.logger.log(
        { projectId: r.projectId, days: r.days, cutoff: r.cutoff.toISOString(), deleted: r.deleted },
        'Retention deleted old traces',
      );
    }
  }
}
