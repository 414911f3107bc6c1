import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scores of whole sessions. `session_id` has no foreign key (a session is not a row, and its scores
 * outlive its traces, as in PandaProbe). One automated score per (run, session, metric), like trace
 * scores; `value_number` and the analytics index mirror trace_scores so session score analytics
 * read the same way.
 */
export class SessionScores1764000006000 implements MigrationInterface {
  name = 'SessionScores1764000006000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE session_scores (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id varchar(255) NOT NULL,
        project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        name varchar(255) NOT NULL,
        data_type varchar(20) NOT NULL DEFAULT 'NUMERIC' CHECK (data_type IN ('NUMERIC', 'BOOLEAN', 'CATEGORICAL')),
        value varchar(255),
        source varchar(20) NOT NULL CHECK (source IN ('AUTOMATED', 'ANNOTATION', 'PROGRAMMATIC')),
        status varchar(20) NOT NULL DEFAULT 'SUCCESS' CHECK (status IN ('SUCCESS', 'FAILED', 'PENDING')),
        eval_run_id uuid REFERENCES eval_runs(id) ON DELETE SET NULL,
        author_user_id varchar(255),
        reason text,
        environment varchar(255),
        config_id varchar(255),
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        value_number numeric GENERATED ALWAYS AS (score_number(value)) STORED
      )`);
    await q.query(
      `CREATE UNIQUE INDEX uq_session_scores_run_session_name ON session_scores (eval_run_id, session_id, name) WHERE eval_run_id IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX ix_session_scores_project_session ON session_scores (project_id, session_id, name, created_at DESC)`,
    );
    await q.query(
      `CREATE INDEX ix_session_scores_project_created ON session_scores (project_id, created_at DESC, id DESC)`,
    );
    await q.query(
      `CREATE INDEX ix_session_scores_analytics ON session_scores (project_id, name, created_at) INCLUDE (status, data_type, value_number)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS session_scores`);
  }
}
