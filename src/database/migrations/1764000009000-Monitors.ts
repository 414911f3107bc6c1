import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Monitors: eval runs spawned on a cadence. The scheduler claims due monitors from this table
 * (`FOR UPDATE SKIP LOCKED` on the partial due index), so scheduling needs no Redis lock.
 * `watermark` is the ingestion time (traces.created_at) up to which the monitor has taken traces;
 * `schedule_anchor` is where interval cadences count their slots from. Spawned runs keep their
 * monitor_id until the monitor is deleted (then null, the runs stay).
 */
export class Monitors1764000009000 implements MigrationInterface {
  name = 'Monitors1764000009000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE eval_monitors (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        name varchar(255) NOT NULL CHECK (name <> ''),
        target_type varchar(20) NOT NULL CHECK (target_type IN ('TRACE', 'SESSION')),
        metric_names varchar(255)[] NOT NULL,
        filters jsonb NOT NULL DEFAULT '{}'::jsonb,
        sampling_rate double precision NOT NULL DEFAULT 1 CHECK (sampling_rate > 0 AND sampling_rate <= 1),
        model varchar(255),
        cadence varchar(120) NOT NULL,
        only_if_changed boolean NOT NULL DEFAULT true,
        scope varchar(10) NOT NULL DEFAULT 'new' CHECK (scope IN ('new', 'all')),
        status varchar(20) NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'PAUSED')),
        max_judge_calls integer CHECK (max_judge_calls > 0),
        max_judge_tokens bigint CHECK (max_judge_tokens > 0),
        max_judge_calls_per_day integer CHECK (max_judge_calls_per_day > 0),
        max_judge_tokens_per_day bigint CHECK (max_judge_tokens_per_day > 0),
        schedule_anchor timestamptz NOT NULL DEFAULT now(),
        watermark timestamptz,
        last_run_at timestamptz,
        last_run_id uuid CONSTRAINT fk_eval_monitors_last_run_id REFERENCES eval_runs(id) ON DELETE SET NULL,
        next_run_at timestamptz,
        last_skip_reason text,
        last_skipped_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (status = 'PAUSED' OR next_run_at IS NOT NULL)
      )`);
    await q.query(
      `CREATE INDEX ix_eval_monitors_project ON eval_monitors (project_id, status, created_at DESC, id DESC)`,
    );
    await q.query(
      `CREATE INDEX ix_eval_monitors_project_created ON eval_monitors (project_id, created_at DESC, id DESC)`,
    );
    await q.query(`CREATE INDEX ix_eval_monitors_due ON eval_monitors (next_run_at) WHERE status = 'ACTIVE'`);
    await q.query(
      `ALTER TABLE eval_runs ADD CONSTRAINT fk_eval_runs_monitor_id FOREIGN KEY (monitor_id) REFERENCES eval_monitors(id) ON DELETE SET NULL`,
    );
    await q.query(
      `CREATE INDEX ix_eval_runs_monitor ON eval_runs (monitor_id, created_at DESC, id DESC) WHERE monitor_id IS NOT NULL`,
    );
    // A monitor's incremental selection: the project's traces ingested after its watermark.
    await q.query(`CREATE INDEX ix_traces_project_created ON traces (project_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ix_traces_project_created`);
    await q.query(`DROP INDEX IF EXISTS ix_eval_runs_monitor`);
    await q.query(`ALTER TABLE eval_runs DROP CONSTRAINT IF EXISTS fk_eval_runs_monitor_id`);
    await q.query(`DROP TABLE IF EXISTS eval_monitors`);
  }
}
