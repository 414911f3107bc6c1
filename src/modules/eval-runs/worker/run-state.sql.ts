import { prepared } from '../../../database/prepared';
import { NO_PENDING_SLICE } from '../pending-items.sql';

/**
 * A run's status changes made by workers. Hand-written because each is one conditional UPDATE whose
 * condition is the point (exactly one writer wins), and the settle statement is a data-modifying
 * CTE, which TypeORM cannot say.
 */

/** PENDING → RUNNING (once); started_at marks when work started. */
export const MARK_RUNNING_SQL = `UPDATE eval_runs SET status = 'RUNNING', started_at = coalesce(started_at, now()), completed_at = NULL
       WHERE id = $1 AND status = 'PENDING'`;

/** FAILED with reason $2; only an unfinished run can fail. */
export const FAIL_RUN_SQL = `UPDATE eval_runs SET status = 'FAILED', error_message = $2, completed_at = now(), started_at = coalesce(started_at, now())
       WHERE id = $1 AND status IN ('PENDING', 'RUNNING')`;

/** COMPLETED when no item is open and no slice waits outside the ledger (pending-items.sql.ts). */
export const COMPLETE_IF_DONE_SQL = `UPDATE eval_runs SET status = 'COMPLETED', completed_at = now(), started_at = coalesce(started_at, now())
       WHERE id = $1 AND status IN ('PENDING', 'RUNNING')
         AND NOT EXISTS (SELECT 1 FROM eval_run_items i WHERE i.run_id = $1 AND i.state <> 'DONE')
         AND ${NO_PENDING_SLICE('$1')}`;

/** Every unfinished run with no open item left (nor a slice outside the ledger), COMPLETED. */
export const COMPLETE_SETTLED_SQL = `UPDATE eval_runs r SET status = 'COMPLETED', completed_at = now(), started_at = coalesce(started_at, now())
       WHERE r.status IN ('PENDING', 'RUNNING')
         AND NOT EXISTS (SELECT 1 FROM eval_run_items i WHERE i.run_id = r.id AND i.state <> 'DONE')
         AND ${NO_PENDING_SLICE('r.id')}
       RETURNING r.id`;

/**
 * Settles items $3 (JSON) of run $1 leased with token $2 and adds their usage to the run, in one
 * statement: see EvalRunLedgerRepository.settle(). Prepared: it is sent for every write batch.
 */
export const SETTLE_SQL = prepared(
  'ledger_settle',
  `WITH input AS (
         SELECT * FROM jsonb_to_recordset($3::jsonb)
           AS x(trace_id uuid, kind text, last_error text, calls int, input_tokens bigint, output_tokens bigint, latency_ms bigint, unknown_usage int)
       ), settled AS (
         UPDATE eval_run_items i SET
           state = CASE WHEN input.kind = 'done' THEN 'DONE' ELSE 'PENDING' END,
           lease_token = NULL, lease_expires_at = NULL, updated_at = now(),
           last_error = CASE
             WHEN input.kind = 'done' AND input.last_error IS NULL AND i.session_id IS NULL
                  AND NOT EXISTS (SELECT 1 FROM trace_scores s WHERE s.eval_run_id = $1 AND s.trace_id = input.trace_id)
               THEN 'No score stored for trace ' || input.trace_id || ': the trace or its scores were deleted during evaluation.'
             WHEN input.kind = 'done' AND input.last_error IS NULL AND i.session_id IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM session_scores s WHERE s.eval_run_id = $1 AND s.session_id = i.session_id)
               THEN 'No score stored for session ' || i.session_id || ': its scores were deleted during evaluation.'
             ELSE input.last_error END
         FROM input
         WHERE i.run_id = $1 AND i.trace_id = input.trace_id AND i.lease_token = $2 AND i.state = 'RUNNING'
         RETURNING i.trace_id, i.state
       ), usage AS (
         SELECT count(*) FILTER (WHERE settled.state = 'DONE')::int AS n, count(*)::int AS settled,
                coalesce(sum(calls), 0) AS calls, coalesce(sum(input_tokens), 0) AS input_tokens,
                coalesce(sum(output_tokens), 0) AS output_tokens, coalesce(sum(latency_ms), 0) AS latency_ms,
                coalesce(sum(unknown_usage), 0) AS unknown_usage
         FROM settled JOIN input USING (trace_id)
       )
       UPDATE eval_runs r SET
         evaluated_count = r.evaluated_count + usage.n,
         judge_calls = r.judge_calls + usage.calls,
         judge_input_tokens = r.judge_input_tokens + usage.input_tokens,
         judge_output_tokens = r.judge_output_tokens + usage.output_tokens,
         judge_latency_ms = r.judge_latency_ms + usage.latency_ms,
         judge_unknown_usage = r.judge_unknown_usage + usage.unknown_usage
       FROM usage
       WHERE r.id = $1 AND usage.settled > 0
       RETURNING usage.n AS finished, usage.settled, r.status`,
);
