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
const TRACE_ITEM_LEFT_WITHOUT_SCORE = `UPDATE eval_run_items i SET last_error = 'Its scores were deleted after it was evaluated (the trace or the scores were deleted).'
          FROM (SELECT DISTINCT eval_run_id, trace_id FROM removed WHERE eval_run_id IS NOT NULL) g
          WHERE i.run_id = g.eval_run_id AND i.trace_id = g.trace_id AND i.state = 'DONE' AND i.last_error IS NULL
            AND NOT EXISTS (SELECT 1 FROM trace_scores s WHERE s.eval_run_id = g.eval_run_id AND s.trace_id = g.trace_id);`;

export class SessionRuns1764000008000 implements MigrationInterface {
  name = 'SessionRuns1764000008000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE eval_run_items ADD COLUMN session_id varchar(255)`);
    await q.query(`
      CREATE FUNCTION session_item_key(session_id text) RETURNS uuid LANGUAGE sql IMMUTABLE STRICT AS
      $$ SELECT md5('session:' || session_id)::uuid $$`);
    await q.query(countRunsFunction('trace_scores_count_runs', 'TRACE', TRACE_ITEM_LEFT_WITHOUT_SCORE));
    await q.query(
      countRunsFunction(
        'session_scores_count_runs',
        'SESSION',
        `UPDATE eval_run_items i SET last_error = 'Its session scores were deleted after it was evaluated.'
          FROM (SELECT DISTINCT eval_run_id, session_id FROM removed WHERE eval_run_id IS NOT NULL) g
          WHERE i.run_id = g.eval_run_id AND i.trace_id = session_item_key(g.session_id) AND i.state = 'DONE'
            AND i.last_error IS NULL
            AND NOT EXISTS (SELECT 1 FROM session_scores s WHERE s.eval_run_id = g.eval_run_id AND s.session_id = g.session_id);`,
      ),
    );
    for (const [event, refs] of [
      ['INSERT', 'NEW TABLE AS added'],
      ['UPDATE', 'OLD TABLE AS removed NEW TABLE AS added'],
      ['DELETE', 'OLD TABLE AS removed'],
    ]) {
      await q.query(`
        CREATE TRIGGER tr_session_scores_count_${event.toLowerCase()} AFTER ${event} ON session_scores
        REFERENCING ${refs} FOR EACH STATEMENT EXECUTE FUNCTION session_scores_count_runs()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const event of ['insert', 'update', 'delete']) {
      await q.query(`DROP TRIGGER IF EXISTS tr_session_scores_count_${event} ON session_scores`);
    }
    await q.query(`DROP FUNCTION IF EXISTS session_scores_count_runs()`);
    await q.query(countRunsFunction('trace_scores_count_runs', null, TRACE_ITEM_LEFT_WITHOUT_SCORE));
    await q.query(`DELETE FROM eval_run_items WHERE session_id IS NOT NULL`);
    await q.query(`DROP FUNCTION IF EXISTS session_item_key(text)`);
    await q.query(`ALTER TABLE eval_run_items DROP COLUMN session_id`);
  }
}

/**
 * A statement trigger function keeping `failed_count` / `succeeded_count` of the runs of one target
 * type (null: every run) equal to the scores stored for them (as migration 1764000003000's),
 * under the run's score lock on deletes; `onDelete` explains a finished item left without a score.
 */
function countRunsFunction(name: string, targetType: 'TRACE' | 'SESSION' | null, onDelete: string): string {
  const ofType = targetType ? ` AND r.target_type = '${targetType}'` : '';
  const apply = (rows: 'added' | 'removed', sign: '+' | '-') => `
          UPDATE eval_runs r SET failed_count = r.failed_count ${sign} d.failed, succeeded_count = r.succeeded_count ${sign} d.ok
          FROM (SELECT eval_run_id, count(*) FILTER (WHERE status = 'FAILED')::int AS failed,
                       count(*) FILTER (WHERE status = 'SUCCESS')::int AS ok
                FROM ${rows} WHERE eval_run_id IS NOT NULL GROUP BY eval_run_id) d
          WHERE r.id = d.eval_run_id${ofType} AND (d.failed > 0 OR d.ok > 0);`;
  return `
      CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          -- First, before any row of eval_runs or eval_run_items is locked (no deadlock with settle).
          PERFORM pg_advisory_xact_lock(eval_run_score_lock(x.eval_run_id))
          FROM (SELECT DISTINCT eval_run_id FROM removed WHERE eval_run_id IS NOT NULL ORDER BY eval_run_id) x;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN${apply('added', '+')}
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN${apply('removed', '-')}
        END IF;
        IF TG_OP = 'DELETE' THEN
          ${onDelete}
        END IF;
        RETURN NULL;
      END $$`;
}
