import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-project trace retention: `retention_days` null follows RETENTION_DAYS (the global default),
 * 0 keeps traces forever, N > 0 lets the worker delete traces that started more than N days ago.
 * The deletion reads ix_traces_project_started (project_id, started_at, trace_id), which exists.
 */
export class Retention1764000011000 implements MigrationInterface {
  name = 'Retention1764000011000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE projects ADD COLUMN retention_days integer CHECK (retention_days BETWEEN 0 AND 36500)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE projects DROP COLUMN retention_days`);
  }
}
