/**
 * The one definition of what trace analytics count, as SQL fragments. The rollup refresher groups
 * by (project, slot) and the read path by bucket, over the same expressions, so a rolled-up slot and
 * the same slot computed live always agree.
 */

/** Rollup slots: 15 minutes, so hour buckets of :30 and :45 zones are unions of whole slots. */
export const SLOT_LENGTH = `interval '15 minutes'`;
export const slotOf = (ts: string) => `date_bin('15 minutes', ${ts}, TIMESTAMPTZ '2000-01-01 00:00:00+00')`;
/** The UTC hour of latency_hour_rollups (four slots). */
export const hourOf = (ts: string) => `date_bin('1 hour', ${ts}, TIMESTAMPTZ '2000-01-01 00:00:00+00')`;
/** The UTC day of latency_day_rollups (24 hours). */
export const dayOf = (ts: string) => `date_bin('1 day', ${ts}, TIMESTAMPTZ '2000-01-01 00:00:00+00')`;

/**
 * Latency histogram: bucket k holds [1.02^k, 1.02^(k+1)) ms; latencies ≤ 0 get their own bucket. It
 * locates percentile ranks (exact-percentiles.ts); ix_traces_latency_rank (migration
 * 1764000041000) indexes the same expression, so it must not change without a new index.
 */
const ZERO_K = -100000;
export const latencyBucket = (ms: string) =>
  `(CASE WHEN ${ms} <= 0 THEN ${ZERO_K} ELSE floor(ln(${ms}) / ln(1.02))::int END)`;

/** The percentiles the latency analytics give, as float8: the doubles `percentile_cont(0.5)` etc. receive. */
export const LATENCY_FRACTIONS = 'ARRAY[0.5, 0.9, 0.99]::float8[]';

/** A number inside a JSON object, or 0 when it is missing or not a number (as the trace totals count). */
const jsonNumber = (json: string, key: string) =>
  `COALESCE(CASE WHEN jsonb_typeof(${json}->'${key}') = 'number' THEN (${json}->>'${key}')::numeric END, 0)`;
const PROMPT = jsonNumber('s.token_usage', 'prompt_tokens');
const COMPLETION = jsonNumber('s.token_usage', 'completion_tokens');
const COST = jsonNumber('s.cost', 'total');

/** The trace columns the aggregates read. */
export const TRACE_COLUMNS = 't.trace_id, t.started_at, t.status, t.latency_ms';

/** A grouping key: an SQL expression and the column name it gets. */
export type Key = [expression: string, name: string];
const select = (keys: Key[]) => keys.map(([e, n]) => `${e} AS ${n}`);
const ordinals = (n: number) => Array.from({ length: n }, (_, i) => i + 1).join(', ');

/** Columns of trace_rollups after its keys, in table order. */
export const TRACE_AGG_COLUMNS =
  'trace_count, error_count, latency_count, latency_sum, prompt_tokens, completion_tokens, total_cost';

/**
 * Per trace `t`: its spans' prompt and completion tokens and cost, as `x.prompt`, `x.completion`,
 * `x.cost`. A lateral aggregate, so PostgreSQL reads the spans of these traces through the primary
 * key and never plans a scan of the whole spans table.
 */
const SPAN_TOTALS = `LEFT JOIN LATERAL (
  SELECT sum(${PROMPT}) AS prompt, sum(${COMPLETION}) AS completion, sum(${COST}) AS cost
  FROM spans s WHERE s.trace_id = t.trace_id) x ON true`;

/** Trace aggregates of the traces `t` of `from`, grouped by `keys`. */
export const traceAggregates = (keys: Key[], from: string) => `
  SELECT ${select(keys).join(', ')}, count(*)::int AS trace_count,
         (count(*) FILTER (WHERE t.status = 'ERROR'))::int AS error_count,
         count(t.latency_ms)::int AS latency_count, COALESCE(sum(t.latency_ms), 0)::float8 AS latency_sum,
         COALESCE(sum(x.prompt), 0) AS prompt_tokens, COALESCE(sum(x.completion), 0) AS completion_tokens,
         COALESCE(sum(x.cost), 0)::float8 AS total_cost
  FROM ${from} ${SPAN_TOTALS}
  GROUP BY ${ordinals(keys.length)}`;

/** Span models of the traces `t` joined by `from`: (keys..., model, call_count, total_tokens, total_cost). */
export const modelAggregates = (keys: Key[], from: string) => `
  SELECT ${[...select(keys), 's.model'].join(', ')}, count(*)::int AS call_count,
         sum(${PROMPT} + ${COMPLETION}) AS total_tokens, sum(${COST})::float8 AS total_cost
  FROM ${from}
  CROSS JOIN LATERAL (SELECT * FROM spans s WHERE s.trace_id = t.trace_id AND s.model IS NOT NULL OFFSET 0) s
  GROUP BY ${ordinals(keys.length + 1)}`;

/** Latency histogram of the traces `t` joined by `from`: (keys..., k, count). */
export const latencyAggregates = (keys: Key[], from: string) => `
  SELECT ${[...select(keys), `${latencyBucket('t.latency_ms')} AS k`].join(', ')}, count(*)::int AS count
  FROM ${from}
  WHERE t.latency_ms IS NOT NULL
  GROUP BY ${ordinals(keys.length + 1)}`;
