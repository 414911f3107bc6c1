/**
 * What a claimed batch is judged from. Hand-written: two statements load a whole batch's traces
 * and spans (no per-trace query, no entity hydration), and DISTINCT ON picks the newest usable
 * signal per (trace, signal), which TypeORM cannot say.
 */

/** The columns of a trace the judge sees; the WHERE clause is the caller's. */
export const TRACE_COLUMNS = `trace_id, name, status, input, output, metadata, session_id, user_id, tags, environment, started_at, ended_at`;

/** The spans of traces $1, in order. */
export const SPANS_OF_TRACES_SQL = `SELECT trace_id, span_id, parent_span_id, name, kind, status, input, output, model, error, metadata, started_at, ended_at, token_usage
       FROM spans WHERE trace_id = ANY($1::uuid[]) ORDER BY trace_id, started_at, span_id`;

/** The metrics run $1 already scored for traces $2. */
export const SCORED_TRACE_METRICS_SQL = `SELECT trace_id, name FROM trace_scores WHERE eval_run_id = $1 AND trace_id = ANY($2::uuid[])`;

/** The session metrics run $1 already scored for sessions $2. */
export const SCORED_SESSION_METRICS_SQL = `SELECT session_id, name FROM session_scores WHERE eval_run_id = $1 AND session_id = ANY($2)`;

/**
 * The newest usable score per (trace, signal) of traces $2 in project $1, for signals $3 judged by
 * models $5: run $4's own first (SUCCESS or FAILED), else the newest SUCCESS automated numeric one.
 */
export const EXISTING_SIGNALS_SQL = `SELECT DISTINCT ON (s.trace_id, s.name) s.trace_id, s.name, s.id, s.eval_run_id, s.status, s.value
           FROM trace_scores s JOIN unnest($3::varchar[], $5::text[]) AS w(name, model) ON w.name = s.name
           WHERE s.project_id = $1 AND s.trace_id = ANY($2::uuid[])
             AND (s.eval_run_id = $4 OR (s.status = 'SUCCESS' AND s.source = 'AUTOMATED' AND s.value_number IS NOT NULL
                                         AND s.metadata -> 'judge_usage' ->> 'model' = w.model))
           ORDER BY s.trace_id, s.name, (s.eval_run_id IS NOT DISTINCT FROM $4::uuid) DESC, s.created_at DESC, s.id DESC`;
