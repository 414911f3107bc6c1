import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sessions are traces grouped by session_id. GET /sessions aggregates every session of a project, so
 * the (project_id, session_id) index becomes partial (traces without a session never matter to it)
 * and covering: it carries every column the aggregates read, and the grouping is an index-only scan
 * in session order instead of a heap scan plus a hash or sort. `session_id = $x` lookups (GET /traces,
 * run filters) use it as before: equality implies NOT NULL. Measurements: docs/sessions.md.
 */
export class SessionIndexes1764000007000 implements MigrationInterface {
  name = 'SessionIndexes1764000007000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ix_traces_project_session`);
    await q.query(`
      CREATE INDEX ix_traces_project_session ON traces (project_id, session_id)
        INCLUDE (started_at, ended_at, status, span_count, total_tokens, total_cost)
        WHERE session_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ix_traces_project_session`);
    await q.query(`CREATE INDEX ix_traces_project_session ON traces (project_id, session_id)`);
  }
}
