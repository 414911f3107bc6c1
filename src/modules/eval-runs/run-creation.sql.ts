import { buildTraceFilterSql, type SqlFragment, type TraceFilter } from '../traces/query/trace-filter';
import { ledgerCtesSql, PENDING_TRACES_SQL } from './pending-items.sql';
import { TRACE_TARGET, type RunTarget } from './run-targets';

/**
 * The statements that freeze a run and its ledger, written once for every target. Hand-written
 * because each is ONE data-modifying CTE (the run row and all its items in one round trip, no id
 * leaving PostgreSQL), which TypeORM cannot say.
 */

/** What every new run is given, whatever its target. */
export interface NewRunFields {
  projectId: string;
  name: string | null;
  metricNames: string[];
  model: string;
  /** Ledger items per Bull job (slice). */
  sliceSize: number;
  maxJudgeCalls: number | null;
  maxJudgeTokens: number | null;
}

export const RUN_COLUMNS = `id, project_id, name, target_type, metric_names, filters, sampling_rate, sampling_seed, model, status, total_targets, slice_count, max_judge_calls, max_judge_tokens`;

/** k of the n matches (a column `n`) at rate $6 (decimal text, so exact): floor(n × rate), at least 1. */
export const SAMPLE_SIZE_SQL = `CASE
            WHEN n = 0 THEN 0
            WHEN $6::text::numeric >= 1 THEN n
            ELSE GREATEST(1, floor(n * $6::text::numeric))::bigint
          END`;

/** The parameters $1–$11 of freezeFilteredRunSql for a run `id` of `input`. */
export function filteredRunParams(
  id: string,
  input: NewRunFields & { storedFilters: Record<string, unknown>; samplingRate: number; samplingSeed: number },
): unknown[] {
  return [
    id,
    input.projectId,
    input.name,
    input.metricNames,
    JSON.stringify(input.storedFilters),
    String(input.samplingRate),
    input.samplingSeed,
    input.model,
    input.sliceSize,
    input.maxJudgeCalls,
    input.maxJudgeTokens,
  ];
}

/**
 * The end of a filtered run's creation, after a CTE `plan` holding k: the slices, the run row
 * ($1 id, $2 project, $3 name, $4 metrics, $5 filters, $6 rate, $7 seed, $8 model, $9 slice size,
 * $10/$11 budgets, `monitor` its monitor) when k > 0, and one item per row of `selection` (the
 * target's id column, plus `extra` item columns and their values from `s`).
 */
export function freezeFilteredRunSql(
  target: RunTarget,
  selection: string,
  monitor: string,
  extra: { columns?: string; values?: string; ledger?: string } = {},
): string {
  const id = `s.${target.idColumn}`;
  const itemsCte = `items AS (
        INSERT INTO eval_run_items (run_id, ${target.itemColumns}, slice${extra.columns ?? ''})
        SELECT run.id, ${target.itemValues(id)}, ${target.sliceOf(id, 'run.slice_count')}${extra.values ?? ''}
        FROM run CROSS JOIN (${selection}) s
        RETURNING 1
      )`;
  return `sliced AS (
        SELECT k, greatest(1, ceil(k::numeric / $9::int))::int AS slices FROM plan
      ), run AS (
        INSERT INTO eval_runs (${RUN_COLUMNS}, monitor_id)
        SELECT $1::uuid, $2::uuid, $3, '${target.type}', $4::varchar[], $5::jsonb, $6::text::float8, $7::bigint, $8, 'PENDING', sliced.k,
               sliced.slices, $10::int, $11::bigint, ${monitor}::uuid
        FROM sliced WHERE sliced.k > 0
        RETURNING id, slice_count
      ), ${extra.ledger ?? itemsCte}
      SELECT (SELECT id FROM run) AS id, (SELECT count(*) FROM items)::int AS inserted`;
}

/**
 * A filtered trace run (see EvalRunsRepository.createFilteredRun) over the traces `t` matching
 * `where`: one scan counts them and collects the candidates hashing below $12; the sample is the
 * k smallest (hash, trace_id) of the candidates, or of a second scan when they are too few. With
 * `recordTraceVersion` each item records the version of its trace; `lazy` writes slice 0 to the
 * ledger and keeps the others pending (pending-items.sql.ts).
 */
export function sampledTracesRunSql(
  where: string,
  sampled: boolean,
  o: { recordTraceVersion: boolean; lazy: boolean },
): string {
  const hash = (col: string) => `uuid_hash_extended(${col}, $7::bigint)`;
  const selection = sampled
    ? `(SELECT c.trace_id FROM scan CROSS JOIN unnest(scan.candidates) AS c(trace_id)
          WHERE (SELECT enough FROM plan)
          ORDER BY ${hash('c.trace_id')}, c.trace_id LIMIT (SELECT k FROM plan))
         UNION ALL
         (SELECT t.trace_id FROM traces t WHERE ${where} AND NOT (SELECT enough FROM plan)
          ORDER BY ${hash('t.trace_id')}, t.trace_id LIMIT (SELECT k FROM plan))`
    : `SELECT t.trace_id FROM traces t WHERE ${where}`;
  const scan = sampled
    ? `SELECT count(*)::bigint AS n,
                coalesce(array_agg(t.trace_id) FILTER (WHERE $12::bigint IS NULL OR ${hash('t.trace_id')} < $12::bigint),
                         '{}') AS candidates
         FROM traces t WHERE ${where}`
    : // Rate 1 takes every match; $12 is still named so that the placeholders stay numbered alike.
      `SELECT count(*)::bigint AS n, '{}'::uuid[] AS candidates, $12::bigint AS threshold FROM traces t WHERE ${where}`;
  return `
      WITH scan AS (${scan}), plan AS (
        SELECT n, k, cardinality(candidates) >= k AS enough FROM (
          SELECT n, candidates, ${SAMPLE_SIZE_SQL} AS k
          FROM scan
        ) counted
      ), ${freezeFilteredRunSql(TRACE_TARGET, selection, '$13', {
        ledger: ledgerCtesSql({
          selection,
          slice: TRACE_TARGET.sliceOf('s.trace_id', 'run.slice_count'),
          // The version of the trace taken (same snapshot), when asked: monitors key on it.
          version: o.recordTraceVersion
            ? '(SELECT v.version FROM traces v WHERE v.trace_id = s.trace_id)'
            : 'NULL::int',
          lazy: o.lazy,
        }),
      })}`;
}

/** Ids $2 (in request order) of targets with no trace in project $1: one index probe each. */
export function missingTargetsSql(target: RunTarget): string {
  return `SELECT x.id FROM unnest($2::${target.idArray}) WITH ORDINALITY AS x(id, ord)
       WHERE NOT EXISTS (SELECT 1 FROM traces t WHERE t.project_id = $1 AND t.${target.idColumn} = x.id)
       ORDER BY x.ord`;
}

/** A trace run's slices never taken by a worker (pending-items.sql.ts): never started. */
const PENDING_WANTED = `
           UNION ALL
           SELECT p.trace_id, 'PENDING', unnest(o.metric_names)
           FROM (${PENDING_TRACES_SQL('$3::uuid')}) p CROSS JOIN eval_runs o WHERE o.id = $3::uuid`;

/** A retry's join of the original run $3's scores to its wanted (id, name) pairs `w`. */
const RETRY_SCORES = {
  TRACE: `LEFT JOIN trace_scores s ON s.eval_run_id = $3::uuid AND s.trace_id = w.id AND s.name = w.name`,
  SESSION: `LEFT JOIN session_scores s ON s.eval_run_id = $3::uuid AND s.session_id = w.id AND s.name = w.name`,
} as const;

/**
 * A run over ids $8 (checked to belong to the project), with its items: $1 id, $2 project,
 * $3 name, $4 metrics, $5 filters, $6 seed, $7 model, $9 slice size, $10/$11 budgets.
 */
export function batchRunSql(target: RunTarget): string {
  const ids = `$8::${target.idArray}`;
  return `WITH run AS (
           INSERT INTO eval_runs (${RUN_COLUMNS})
           VALUES ($1, $2, $3, '${target.type}', $4::varchar[], $5::jsonb, 1, $6, $7, 'PENDING',
                   cardinality(${ids}), greatest(1, ceil(cardinality(${ids})::numeric / $9::int))::int, $10::int, $11::bigint)
           RETURNING id, slice_count
         )
         INSERT INTO eval_run_items (run_id, ${target.itemColumns}, slice)
         SELECT run.id, ${target.itemValues('x.id')}, ${target.sliceOf('x.id', 'run.slice_count')}
         FROM run CROSS JOIN unnest(${ids}) AS x(id)`;
}

/**
 * A retry $1 of run $3 in project $2: one item per target with unfinished work, carrying exactly
 * its unfinished metrics (pairs with a FAILED score and, for items that never finished, pairs with
 * no score); targets with no trace left in the project are left out. The run's metrics are their
 * sorted union; $4 name, $5 seed, $6 model, $7 slice size, $8/$9 budgets, $10 more filters to keep.
 */
export function retryRunSql(target: RunTarget): string {
  return `WITH wanted AS (
           SELECT i.${target.idColumn} AS id, i.state, unnest(coalesce(i.metric_names, o.metric_names)) AS name
           FROM eval_run_items i JOIN eval_runs o ON o.id = i.run_id
           WHERE i.run_id = $3::uuid${target.type === 'TRACE' ? PENDING_WANTED : ''}
         ), failed AS (
           SELECT w.id, array_agg(DISTINCT w.name ORDER BY w.name)::varchar[] AS names
           FROM wanted w
           ${RETRY_SCORES[target.type]}
           WHERE (s.status = 'FAILED' OR (s.id IS NULL AND w.state <> 'DONE'))
             AND EXISTS (SELECT 1 FROM traces t WHERE t.project_id = $2 AND t.${target.idColumn} = w.id)
           GROUP BY w.id
         ), plan AS (
           SELECT count(*)::int AS n,
                  coalesce(jsonb_agg(to_jsonb(id) ORDER BY id), '[]'::jsonb) AS ids,
                  (SELECT array_agg(DISTINCT u ORDER BY u) FROM failed, unnest(failed.names) AS u)::varchar[] AS metrics
           FROM failed
         ), run AS (
           INSERT INTO eval_runs (${RUN_COLUMNS}, retry_of)
           SELECT $1::uuid, $2::uuid, $4, '${target.type}', plan.metrics,
                  jsonb_build_object('retry_of', $3::uuid::text, '${target.idsKey}', plan.ids) || $10::jsonb,
                  1, $5::bigint, $6, 'PENDING', plan.n, greatest(1, ceil(plan.n::numeric / $7::int))::int, $8::int, $9::bigint, $3::uuid
           FROM plan WHERE plan.n > 0
           RETURNING id, slice_count
         ), items AS (
           INSERT INTO eval_run_items (run_id, ${target.itemColumns}, metric_names, slice)
           SELECT run.id, ${target.itemValues('failed.id')}, failed.names, ${target.sliceOf('failed.id', 'run.slice_count')}
           FROM run CROSS JOIN failed
           RETURNING 1
         )
         SELECT (SELECT id FROM run) AS id`;
}

/** Which sessions a filtered session run (or a monitor's fire) selects. */
export interface SessionMatch {
  /** Conditions on the traces considered (dates, user, tags). */
  filter: TraceFilter;
  hasError: boolean | null;
  minTraceCount: number;
  /** A further condition on each trace (alias `t`), e.g. a monitor's ingestion bound; params from `firstParam`. */
  extraTraces?: (firstParam: number) => SqlFragment;
  /**
   * A further condition on each matched session (alias `g`: `g.session_id`, `g.trace_count` and
   * `g.newest`, the newest matching trace's created_at), e.g. a monitor's incremental window.
   */
  extraSessions?: (firstParam: number) => SqlFragment;
}

/**
 * The sessions of the traces that match, one row each (`session_id`, `trace_count`, `newest`):
 * grouped in SQL with the has_error and min_trace_count conditions on each group. Parameters from `first`.
 */
export function matchedSessionsSql(match: SessionMatch, first: number): SqlFragment {
  const params: unknown[] = [];
  const next = () => first + params.length;
  const where = buildTraceFilterSql(match.filter, 't', next());
  params.push(...where.params);
  const traces = match.extraTraces?.(next());
  if (traces) params.push(...traces.params);
  const hasError = `$${next()}`;
  params.push(match.hasError);
  const minCount = `$${next()}`;
  params.push(match.minTraceCount);
  const sessions = match.extraSessions?.(next());
  if (sessions) params.push(...sessions.params);
  const sql = `SELECT g.session_id, g.trace_count, g.newest FROM (
      SELECT t.session_id, count(*)::int AS trace_count, max(t.created_at) AS newest FROM traces t
      WHERE ${where.sql} AND t.session_id IS NOT NULL AND t.session_id <> ''${traces ? ` AND ${traces.sql}` : ''}
      GROUP BY t.session_id
      HAVING (${hasError}::boolean IS NULL OR bool_or(t.status = 'ERROR') = ${hasError}::boolean) AND count(*) >= ${minCount}::int
    ) g WHERE ${sessions ? sessions.sql : 'true'}`;
  return { sql, params };
}
