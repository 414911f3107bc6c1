import { Injectable, Module } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/**
 * The traces module's write port for retention: deletes a project's oldest traces (spans and trace
 * scores go with them through ON DELETE CASCADE). Retention decides when and how much; only this
 * module names the traces table.
 */
@Injectable()
export class TraceRetentionStore {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Deletes up to `limit` of the project's traces that started before `cutoff`, oldest first; returns how many. */
  async deleteStartedBefore(projectId: string, cutoff: Date, limit: number): Promise<number> {
    // Oldest first through ix_traces_project_started; SKIP LOCKED so no ingest or run waits on us
    // and we wait on nobody. Raw SQL: TypeORM cannot say DELETE ... USING a locking subquery.
    const [, deleted]: [unknown, number] = await this.ds.query(
      `WITH doomed AS (
         SELECT trace_id FROM traces
         WHERE project_id = $1 AND started_at < $2
         ORDER BY started_at LIMIT $3
         FOR UPDATE SKIP LOCKED
       )
       DELETE FROM traces t USING doomed WHERE t.trace_id = doomed.trace_id`,
      [projectId, cutoff.toISOString(), limit],
    );
    return deleted;
  }
}

/** Just the retention port, for worker processes (no controllers, no ingestion). */
@Module({ providers: [TraceRetentionStore], exports: [TraceRetentionStore] })
export class TraceRetentionModule {}
