import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Eval pipeline, take two:
 * - items carry the Bull job (slice) they belong to; a run knows how many slices it has;
 * - runs can be CANCELLED, carry optional judge budgets and the run they retry (at most one retry
 *   in flight per run, enforced by a partial unique index);
 * - `failed_count` / `succeeded_count` are kept equal to the stored scores by statement-level
 *   triggers on trace_scores, so deleting traces or scores mid-run cannot make them drift; a
 *   finished item that loses its last score that way gets a last_error saying so.
 */
export class EvalPipeline1764000003000 implements MigrationInterface {
  name = 'EvalPipeline1764000003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE eval_run_items ADD COLUMN slice integer NOT NULL DEFAULT 0`);
    await q.query(`DROP INDEX ix_eval_run_items_open`);
    await q.query(
      `CREATE INDEX ix_eval_run_items_open ON eval_run_items (run_id, slice, state) WHERE state <> 'DONE'`,
    );

    await q.query(`ALTER TABLE eval_runs DROP CONSTRAINT eval_runs_status_check`);
    await q.query(
      `ALTER TABLE eval_runs ADD CONSTRAINT eval_runs_status_check
       CHECK (status IN ('PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'))`,
    );
    await q.query(`
      ALTER TABLE eval_runs
        ADD COLUMN slice_count integer NOT NULL DEFAULT 1,
        ADD COLUMN max_judge_calls integer CHECK (max_judge_calls > 0),
        ADD COLUMN max_judge_tokens bigint CHECK (max_judge_tokens > 0),
        ADD COLUMN retry_of uuid`);
    await q.query(
      `CREATE UNIQUE INDEX uq_eval_runs_retry_in_flight ON eval_runs (retry_of) WHERE status IN ('PENDING', 'RUNNING')`,
    );

    // The key of a run's score lock: score deletions and the worker's settle of that run take it,
    // so "a finished item without a score gets a reason" holds under concurrent deletes.
    await q.query(`
      CREATE FUNCTION eval_run_score_lock(run_id uuid) RETURNS bigint LANGUAGE sql IMMUTABLE AS
      $$ SELECT hashtextextended('eval_run_scores:' || run_id::text, 0) $$`);
    await q.query(`
      CREATE FUNCTION trace_scores_count_runs() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          -- First, before any row of eval_runs or eval_run_items is locked (no deadlock with settle).
          PERFORM pg_advisory_xact_lock(eval_run_score_lock(x.eval_run_id))
          FROM (SELECT DISTINCT eval_run_id FROM removed WHERE eval_run_id IS NOT NULL ORDER BY eval_run_id) x;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
          UPDATE eval_runs r SET failed_count = r.failed_count + d.failed, succeeded_count = r.succeeded_count + d.ok
          FROM (SELECT eval_run_id, count(*) FILTER (WHERE status = 'FAILED')::int AS failed,
                       count(*) FILTER (WHERE status = 'SUCCESS')::int AS ok
                FROM added WHERE eval_run_id IS NOT NULL GROUP BY eval_run_id) d
          WHERE r.id = d.eval_run_id AND (d.failed > 0 OR d.ok > 0);
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
          UPDATE eval_runs r SET failed_count = r.failed_count - d.failed, succeeded_count = r.succeeded_count - d.ok
          FROM (SELECT eval_run_id, count(*) FILTER (WHERE status = 'FAILED')::int AS failed,
                       count(*) FILTER (WHERE status = 'SUCCESS')::int AS ok
                FROM removed WHERE eval_run_id IS NOT NULL GROUP BY eval_run_id) d
          WHERE r.id = d.eval_run_id AND (d.failed > 0 OR d.ok > 0);
        END IF;
        IF TG_OP = 'DELETE' THEN
          -- A finished item whose last score is gone says why it has none.
          UPDATE eval_run_items i SET last_error = 'Its scores were deleted after it was evaluated (the trace or the scores were deleted).'
          FROM (SELECT DISTINCT eval_run_id, trace_id FROM removed WHERE eval_run_id IS NOT NULL) g
          WHERE i.run_id = g.eval_run_id AND i.trace_id = g.trace_id AND i.state = 'DONE' AND i.last_error IS NULL
            AND NOT EXISTS (SELECT 1 FROM trace_scores s WHERE s.eval_run_id = g.eval_run_id AND s.trace_id = g.trace_id);
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER tr_trace_scores_count_insert AFTER INSERT ON trace_scores
      REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION trace_scores_count_runs()`);
    await q.query(`
      CREATE TRIGGER tr_trace_scores_count_update AFTER UPDATE ON trace_scores
      REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION trace_scores_count_runs()`);
    await q.query(`
      CREATE TRIGGER tr_trace_scores_count_delete AFTER DELETE ON trace_scores
      REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION trace_scores_count_runs()`);
    // From now on the triggers keep them; start from what is stored.
    await q.query(`
      UPDATE eval_runs r SET
        failed_count = (SELECT count(*) FROM trace_scores s WHERE s.eval_run_id = r.id AND s.status = 'FAILED'),
        succeeded_count = (SELECT count(*) FROM trace_scores s WHERE s.eval_run_id = r.id AND s.status = 'SUCCESS')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS tr_trace_scores_count_insert ON trace_scores`);
    await q.query(`DROP TRIGGER IF EXISTS tr_trace_scores_count_update ON trace_scores`);
    await q.query(`DROP TRIGGER IF EXISTS tr_trace_scores_count_delete ON trace_scores`);
    await q.query(`DROP FUNCTION IF EXISTS trace_scores_count_runs()`);
    await q.query(`DROP FUNCTION IF EXISTS eval_run_score_lock(uuid)`);
    await q.query(`DROP INDEX IF EXISTS uq_eval_runs_retry_in_flight`);
    await q.query(`
      ALTER TABLE eval_runs DROP COLUMN slice_count, DROP COLUMN max_judge_calls, DROP COLUMN max_judge_tokens,
        DROP COLUMN retry_of`);
    await q.query(`UPDATE eval_runs SET status = 'FAILED' WHERE status = 'CANCELLED'`);
    await q.query(`ALTER TABLE eval_runs DROP CONSTRAINT eval_runs_status_check`);
    await q.query(
      `ALTER TABLE eval_runs ADD CONSTRAINT eval_runs_status_check CHECK (status IN ('PENDING', 'RUNNING', 'COMPLETED', 'FAILED'))`,
    );
    await q.query(`DROP INDEX ix_eval_run_items_open`);
    await q.query(`ALTER TABLE eval_run_items DROP COLUMN slice`);
    await q.query(`CREATE INDEX ix_eval_run_items_open ON eval_run_items (run_id, state) WHERE state <> 'DONE'`);
  }
}
