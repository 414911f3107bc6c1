/**
 * The ledger's lease statements. Hand-written because TypeORM cannot say `UPDATE … FROM (SELECT …
 * FOR UPDATE SKIP LOCKED)` or `UPDATE … FROM unnest(…)`: one round trip per batch, no waiting
 * between workers. The claim, sent for every few dozen items, is a prepared statement (planned once
 * per connection, not at every claim).
 */
import { prepared } from '../../../database/prepared';

/**
 * Leases up to $3 open items of slice $5 of run $1 with token $2 for $4 ms: PENDING ones, or
 * RUNNING ones whose lease expired; nothing once the run is terminal.
 */
export const CLAIM_SQL = prepared(
  'ledger_claim',
  `UPDATE eval_run_items i
       SET state = 'RUNNING', attempts = i.attempts + 1, lease_token = $2,
           lease_expires_at = now() + make_interval(secs => $4::float8 / 1000), updated_at = now()
       FROM (
         SELECT run_id, trace_id FROM eval_run_items
         WHERE run_id = $1 AND slice = $5 AND (state = 'PENDING' OR (state = 'RUNNING' AND lease_expires_at < now()))
           AND EXISTS (SELECT 1 FROM eval_runs r WHERE r.id = $1 AND r.status IN ('PENDING', 'RUNNING'))
           -- A retry waits for the items the run it retries still holds (e.g. in flight at a cancel).
           AND NOT EXISTS (
             SELECT 1 FROM eval_runs r JOIN eval_run_items o ON o.run_id = r.retry_of
             WHERE r.id = $1 AND o.trace_id = eval_run_items.trace_id AND o.state = 'RUNNING' AND o.lease_expires_at >= now())
         LIMIT $3
         FOR UPDATE SKIP LOCKED
       ) c
       WHERE i.run_id = c.run_id AND i.trace_id = c.trace_id
       RETURNING i.trace_id, i.session_id, i.metric_names, i.attempts`,
);

/** The run's status and how many items of slice $2 are not DONE. */
export const SLICE_STATE_SQL = `SELECT r.status, s.open, s.total
       FROM eval_runs r,
            LATERAL (SELECT (count(*) FILTER (WHERE i.state <> 'DONE'))::int AS open, count(*)::int AS total
                     FROM eval_run_items i WHERE i.run_id = r.id AND i.slice = $2) s
       WHERE r.id = $1`;

/** Extends by $2 ms the leases of token $1 on exactly the (run, item) pairs $3, $4. */
export const HEARTBEAT_SQL = `UPDATE eval_run_items i SET lease_expires_at = now() + make_interval(secs => $2::float8 / 1000)
       FROM unnest($3::uuid[], $4::uuid[]) AS h(run_id, trace_id)
       WHERE i.run_id = h.run_id AND i.trace_id = h.trace_id AND i.lease_token = $1 AND i.state = 'RUNNING'`;

/** What every give-back sets: PENDING again, claimable at once. */
const PENDING_AGAIN = `state = 'PENDING', lease_token = NULL, lease_expires_at = NULL, updated_at = now()`;
/** A give-back that is not the item's fault: the claim's attempt is not counted. */
const ATTEMPT_NOT_COUNTED = `attempts = greatest(attempts - 1, 0)`;
/** Items $2 of run $1 that token $3 holds. */
const HELD_ITEMS = `run_id = $1 AND trace_id = ANY($2::uuid[]) AND lease_token = $3 AND state = 'RUNNING'`;

/** Gives leased items $2 of run $1 (token $3) back with reason $4. */
export const RELEASE_SQL = `UPDATE eval_run_items SET ${PENDING_AGAIN}, last_error = $4 WHERE ${HELD_ITEMS}`;

/** Gives claimed items $2 of run $1 (token $3) back unloaded (no room in the load budget). */
export const UNCLAIM_SQL = `UPDATE eval_run_items SET ${PENDING_AGAIN}, ${ATTEMPT_NOT_COUNTED} WHERE ${HELD_ITEMS}`;

/** Gives back every item token $1 holds. */
export const RELEASE_ALL_SQL = `UPDATE eval_run_items SET ${PENDING_AGAIN}, ${ATTEMPT_NOT_COUNTED}
  WHERE lease_token = $1 AND state = 'RUNNING'`;
