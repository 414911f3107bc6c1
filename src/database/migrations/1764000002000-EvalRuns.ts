import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Eval runs, their ledger of items (one per selected trace) and trace scores.
 * A unique key on (eval_run_id, trace_id, name) makes every automated score exactly-once.
 * Items have no foreign key to traces on purpose: a trace deleted while its run is pending is
 * finished with a recorded reason instead of vanishing from the ledger.
 */
export class EvalRuns1764000002000 implements MigrationInterface {
  name = 'EvalRuns1764000002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE eval_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        name varchar(255),
        target_type varchar(20) NOT NULL DEFAULT 'TRACE' CHECK (target_type IN ('TRACE', 'SESSION')),
        metric_names varchar(255)[] NOT NULL,
        filters jsonb NOT NULL DEFAULT '{}'::jsonb,
        sampling_rate double precision NOT NULL DEFAULT 1 CHECK (sampling_rate >= 0 AND sampling_rate <= 1),
        sampling_seed bigint NOT NULL DEFAULT 0,
        model varchar(255),
        status varchar(20) NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'RUNNING', 'COMPLETED', 'FAILED')),
        total_targets integer NOT NULL DEFAULT 0,
        evaluated_count integer NOT NULL DEFAULT 0,
        failed_count integer NOT NULL DEFAULT 0,
        succeeded_count integer NOT NULL DEFAULT 0,
        judge_calls integer NOT NULL DEFAULT 0,
        judge_input_tokens bigint NOT NULL DEFAULT 0,
        judge_output_tokens bigint NOT NULL DEFAULT 0,
        judge_latency_ms bigint NOT NULL DEFAULT 0,
        error_message text,
        monitor_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        completed_at timestamptz
      )`);
    await q.query(`CREATE INDEX ix_eval_runs_project_created ON eval_runs (project_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX ix_eval_runs_project_status ON eval_runs (project_id, status)`);
    await q.query(
      `CREATE INDEX ix_eval_runs_unfinished ON eval_runs (created_at) WHERE status IN ('PENDING', 'RUNNING')`,
    );

    await q.query(`
      CREATE TABLE eval_run_items (
        run_id uuid NOT NULL,
        trace_id uuid NOT NULL,
        metric_names varchar(255)[],
        state varchar(16) NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'RUNNING', 'DONE')),
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        lease_token uuid,
        lease_expires_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (run_id, trace_id)
      )`);
    await q.query(`CREATE INDEX ix_eval_run_items_open ON eval_run_items (run_id, state) WHERE state <> 'DONE'`);
    // No foreign key from items to runs: its per-row check dominated inserting 100,000 items at run
    // creation. Deleting runs (directly or through their project) removes their items with one
    // statement-level trigger instead, so the ledger never keeps orphans.
    await q.query(`
      CREATE FUNCTION eval_runs_delete_items() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM eval_run_items i USING gone g WHERE i.run_id = g.id;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER tr_eval_runs_delete_items AFTER DELETE ON eval_runs
      REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION eval_runs_delete_items()`);

    await q.query(`
      CREATE TABLE trace_scores (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        trace_id uuid NOT NULL REFERENCES traces(trace_id) ON DELETE CASCADE,
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
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE UNIQUE INDEX uq_trace_scores_run_trace_name ON trace_scores (eval_run_id, trace_id, name) WHERE eval_run_id IS NOT NULL`,
    );
    await q.query(`CREATE INDEX ix_trace_scores_trace_latest ON trace_scores (trace_id, name, created_at DESC)`);
    await q.query(
      `CREATE INDEX ix_trace_scores_project_created ON trace_scores (project_id, created_at DESC, id DESC)`,
    );
    await q.query(`CREATE INDEX ix_trace_scores_project_name ON trace_scores (project_id, name, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS trace_scores`);
    await q.query(`DROP TABLE IF EXISTS eval_run_items`);
    await q.query(`DROP TABLE IF EXISTS eval_runs`);
    await q.query(`DROP FUNCTION IF EXISTS eval_runs_delete_items()`);
  }
}
