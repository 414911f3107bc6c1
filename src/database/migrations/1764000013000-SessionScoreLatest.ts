import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The latest score of a metric per session (the comparison leaderboard) read in index order:
 * DISTINCT ON (session_id) over (project, name) needs no sort, and the INCLUDE columns make it an
 * index-only scan. Measured in docs/performance.md (bench/session-scores).
 */
export class SessionScoreLatest1764000013000 implements MigrationInterface {
  name = 'SessionScoreLatest1764000013000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX ix_session_scores_latest ON session_scores (project_id, name, session_id, created_at DESC, id DESC)
       INCLUDE (status, data_type, value_number, eval_run_id)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ix_session_scores_latest`);
  }
}
