import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Session runs on the one eval pipeline (docs/sessions.md, "Session metrics and runs"):
 * - a session target lives in eval_run_items like a trace target: `session_id` holds the session and
 *   `trace_id` (the key) holds `session_item_key(session_id)`, a uuid derived from it, so claims,
 *   leases, settling and the sweeper work unchanged;
 * - a SESSION run's counters follow its session scores (one per session and metric): the trace-score
 *   trigger now counts TRACE runs only (a session run's trace scores are its signals), and a twin
 *   trigger on session_scores counts SESSION runs.
 */
export class SessionRuns1764000008000 implements MigrationInterface {
  name = 'SessionRuns1764000008000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE eval_run_items ADD COLUMN session_id varchar(255)`);
    await q.query(`
      CREATE FUNCTION session_item_key(session_id text) RETURNS uuid LANGUAGE sql IMMUTABLE STRICT AS
      $$ SELECT md5('session:' || session_id)::uuid $$`);
    await q.query(`
      CREATE OR REPLACE FUNCTION trace_scores_count_runs() RETURNS trigger LANGUAGE plpgsql AS $$
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
          WHERE r.id = d.eval_run_id AND r.target_type = 'TRACE' AND (d.failed > 0 OR d.ok > 0);
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
          UPDATE eval_runs r SET failed_count = r.failed_count - d.failed, succeeded_count = r.succeeded_count - d.ok
          FROM (SELECT eval_run_id, count(*) FILTER (WHERE status = 'FAILED')::int AS failed,
                       count(*) FILTER (WHERE status = 'SUCCESS')::int AS ok
                FROM removed WHERE eval_run_id IS NOT NULL GROUP BY eval_run_id) d
          WHERE r.id = d.eval_run_id AND r.target_type = 'TRACE' AND (d.failed > 0 OR d.ok > 0);
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
      CREATE FUNCTION session_scores_count_runs() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          PERFORM pg_advisory_xact_lock(eval_run_score_lock(x.eval_run_id))
          FROM (SELECT DISTINCT eval_run_id FROM removed WHERE eval_run_id IS NOT NULL ORDER BY eval_run_id) x;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
          UPDATE eval_runs r SET failed_count = r.failed_count + d.failed, succeeded_count = r.succeeded_count + d.ok
          FROM (SELECT eval_run_id, count(*) FILTER (WHERE status = 'FAILED')::int AS failed,
                       count(*) FILTER (WHERE status = 'SUCCESS')::int AS ok
                FROM added WHERE eval_run_id IS NOT NULL GROUP BY eval_run_id) d
          WHERE r.id = d.eval_run_id AND r.target_type = 'SESSION' AND (d.failed > 0 OR d.ok > 0);
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
          UPDATE eval_runs r SET failed_count = r.failed_count - d.failed, succeeded_count = r.succeeded_count - d.ok
          FROM (SELECT eval_run_id, count(*) FILTER (WHERE status = 'FAILED')::int AS failed,
                       count(*) FILTER (WHERE status = 'SUCCESS')::int AS ok
                FROM removed WHERE eval_run_id IS NOT NULL GROUP BY eval_run_id) d
          WHERE r.id = d.eval_run_id AND r.target_type = 'SESSION' AND (d.failed > 0 OR d.ok > 0);
        END IF;
        IF TG_OP = 'DELETE' THEN
          UPDATE eval_run_items i SET last_error = 'Its session scores were deleted after it was evaluated.'
          FROM (SELECT DISTINCT eval_run_id, session_id FROM removed WHERE eval_run_id IS NOT NULL) g
          WHERE i.run_id = g.eval_run_id AND i.trace_id = session_item_key(g.session_id) AND i.state = 'DONE'
            AND i.last_error IS NULL
            AND NOT EXISTS (SELECT 1 FROM session_scores s WHERE s.eval_run_id = g.eval_run_id AND s.session_id = g.session_id);
        END IF;
        RETURN NULL;
      END $$`);
    for (const [event, refs] of [
      ['INSERT', 'NEW TABLE AS added'],
      ['UPDATE', 'OLD TABLE AS removed NEW TABLE AS added'],
      ['DELETE', 'OLD TABLE AS removed'],
    ]) {
      await q.query(`
        CREATE TRIGGER tr_session_scores_count_${event.toLowerCase()} AFTER ${event} ON session_scores
        REFERENCING ${refs} FOR EACH STATEMENT EXECUTE FUNCTION session_scores_count_runs()`);
    }
    // Session resolution groups a project's traces by session: this keeps it an index scan.
    await q.query(
      `CREATE INDEX ix_traces_project_session_started ON traces (project_id, session_id, started_at) WHERE session_id IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ix_traces_project_session_started`);
    for (const event of ['insert', 'update', 'delete']) {
      await q.query(`DROP TRIGGER IF EXISTS tr_session_scores_count_${event} ON session_scores`);
    }
    await q.query(`DROP FUNCTION IF EXISTS session_scores_count_runs()`);
    await q.query(`DELETE FROM eval_run_items WHERE session_id IS NOT NULL`);
    await q.query(`DROP FUNCTION IF EXISTS session_item_key(text)`);
    await q.query(`ALTER TABLE eval_run_items DROP COLUMN session_id`);
  }
}
