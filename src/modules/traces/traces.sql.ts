// Hand-written SQL of the traces module, kept as text for a measured reason: ingestion writes a
// batch of traces, their spans and the trace's exact aggregates in one statement each (JSON
// recordsets, ON CONFLICT merges, RETURNING), which the ORM cannot say at that speed
// (docs/performance.md, Ingestion). Run by the traces e2e specs (traces-ingest, traces-batching,
// traces-changes, traces-query) and bench/large-reads.
import { sqlTimestamp } from '../../common/timestamps';
import type { TraceSortField } from './traces.constants';

/** Columns a PATCH may set, with how a value is bound. `merge` columns are merged, not replaced. */
export type PatchColumn = { cast?: string; kind: 'value' | 'json' | 'merge' | 'notNull' };
export const TRACE_PATCH_COLUMNS: Record<string, PatchColumn> = {
  name: { kind: 'notNull' },
  status: { kind: 'notNull' },
  tags: { kind: 'notNull', cast: '::text[]' },
  metadata: { kind: 'merge' },
  input: { kind: 'json' },
  output: { kind: 'json' },
  ended_at: { kind: 'value', cast: '::timestamptz' },
  session_id: { kind: 'value' },
  user_id: { kind: 'value' },
  environment: { kind: 'value' },
  release: { kind: 'value' },
};
export const SPAN_PATCH_COLUMNS: Record<string, PatchColumn> = {
  name: { kind: 'notNull' },
  kind: { kind: 'notNull' },
  status: { kind: 'notNull' },
  metadata: { kind: 'merge' },
  input: { kind: 'json' },
  output: { kind: 'json' },
  token_usage: { kind: 'json' },
  model_parameters: { kind: 'json' },
  cost: { kind: 'json' },
  model: { kind: 'value' },
  error: { kind: 'value' },
  ended_at: { kind: 'value', cast: '::timestamptz' },
  completion_start_time: { kind: 'value', cast: '::timestamptz' },
};

export const SORT_COLUMNS: Record<TraceSortField, string> = {
  started_at: 't.started_at',
  ended_at: 't.ended_at',
  name: 't.name',
  latency: 't.latency_ms',
  status: 't.status',
};

/** Timestamps leave the database in the one response format (src/common/timestamps.ts). */
export const ts = sqlTimestamp;

/** What one span contributes to the trace totals; non-numeric values count as 0. */
const num = (json: string, key: string) =>
  `COALESCE(CASE WHEN jsonb_typeof(${json}->'${key}') = 'number' THEN (${json}->>'${key}')::numeric END, 0)`;
const SPAN_TOKENS = (alias: string) =>
  `${num(`${alias}.token_usage`, 'prompt_tokens')} + ${num(`${alias}.token_usage`, 'completion_tokens')}`;
const SPAN_COST = (alias: string) => num(`${alias}.cost`, 'total');

/**
 * The bytes of a span as JSON text (input, output, metadata, error), as spans.size_bytes holds them:
 * every statement that writes a span's free-form columns sets it, from the values it writes.
 */
const spanBytes = (input: string, output: string, metadata: string, error: string) =>
  `coalesce(octet_length((${input})::text), 0) + coalesce(octet_length((${output})::text), 0)
   + octet_length((${metadata})::text) + coalesce(octet_length(${error}), 0)`;
const SPAN_BYTES = (a: string) =>
  spanBytes(`${a}.input`, `${a}.output`, `COALESCE(${a}.metadata, '{}'::jsonb)`, `${a}.error`);

/** The trace totals over span rows aliased `alias` (with their size_bytes): one definition for every write path. */
const SPAN_TOTAL_COLUMNS = (alias: string) => `count(*)::int AS span_count,
         round(COALESCE(sum(${SPAN_TOKENS(alias)}), 0))::bigint AS total_tokens,
         COALESCE(sum(${SPAN_COST(alias)}), 0)::float8 AS total_cost,
         COALESCE(sum(${alias}.size_bytes), 0)::bigint AS spans_bytes`;
const SPAN_TOTALS = (alias: string, from: string) => `SELECT ${SPAN_TOTAL_COLUMNS(alias)} FROM ${from}`;
/** A change of the trace's spans: new totals and running size, and the change marker (version, updated_at). */
export const SET_TOTALS = `span_count = a.span_count, total_tokens = a.total_tokens, total_cost = a.total_cost,
  spans_bytes = a.spans_bytes, version = traces.version + 1, updated_at = now()`;

export const TRACE_LIST_COLUMNS = `
  t.trace_id, t.name, t.status, ${ts('t.started_at')} AS started_at, ${ts('t.ended_at')} AS ended_at,
  t.session_id, t.user_id, t.tags, t.environment, t.release, t.latency_ms, t.span_count,
  t.total_tokens::float8 AS total_tokens, t.total_cost`;

export const SPAN_JSON = (s: string) => `json_build_object(
  'span_id', ${s}.span_id, 'trace_id', ${s}.trace_id, 'parent_span_id', ${s}.parent_span_id, 'name', ${s}.name,
  'kind', ${s}.kind, 'status', ${s}.status, 'input', ${s}.input, 'output', ${s}.output, 'model', ${s}.model,
  'token_usage', ${s}.token_usage, 'metadata', ${s}.metadata, 'started_at', ${ts(`${s}.started_at`)},
  'ended_at', ${ts(`${s}.ended_at`)}, 'error', ${s}.error, 'completion_start_time', ${ts(`${s}.completion_start_time`)},
  'model_parameters', ${s}.model_parameters, 'cost', ${s}.cost,
  'latency_ms', (EXTRACT(EPOCH FROM (${s}.ended_at - ${s}.started_at)) * 1000)::float8,
  'time_to_first_token_ms', (EXTRACT(EPOCH FROM (${s}.completion_start_time - ${s}.started_at)) * 1000)::float8)`;

export const TRACE_WITH_SPANS = `
  SELECT ${TRACE_LIST_COLUMNS}, t.project_id, t.input, t.output, t.metadata,
    COALESCE((SELECT json_agg(${SPAN_JSON('s')} ORDER BY s.started_at, s.span_id)
              FROM spans s WHERE s.trace_id = t.trace_id), '[]'::json) AS spans
  FROM traces t`;

/** The spans of a request, read from one JSON parameter as a record set aliased `x`. */
const SPAN_RECORDSET = (param: string) => `jsonb_to_recordset(${param}::jsonb) AS x(
  span_id uuid, parent_span_id uuid, name text, kind text, status text, input jsonb, output jsonb, model text,
  token_usage jsonb, metadata jsonb, started_at timestamptz, ended_at timestamptz, error text,
  completion_start_time timestamptz, model_parameters jsonb, cost jsonb)`;

const SPAN_COLUMNS = `trace_id, span_id, parent_span_id, name, kind, status, input, output, model, token_usage,
  metadata, started_at, ended_at, error, completion_start_time, model_parameters, cost, size_bytes`;
const SPAN_VALUES = (traceId: string, size = SPAN_BYTES('x')) => `${traceId}, x.span_id, x.parent_span_id, x.name,
  x.kind, x.status, x.input, x.output, x.model, x.token_usage, COALESCE(x.metadata, '{}'::jsonb), x.started_at,
  x.ended_at, x.error, x.completion_start_time, x.model_parameters, x.cost, ${size}`;

const TRACE_COLUMNS = `trace_id, project_id, name, status, input, output, metadata, started_at, ended_at,
  session_id, user_id, tags, environment, release`;
const TRACE_VALUES = `$1::uuid, $2::uuid, $3::text, $4::text, $5::jsonb, $6::jsonb, $7::jsonb, $8::timestamptz,
  $9::timestamptz, $10::text, $11::text, $12::text[], $13::text, $14::text`;

/**
 * The common case: traces whose ids were not seen before, written with all their spans and their
 * aggregates in ONE statement (atomic without BEGIN/COMMIT), several traces at once when requests
 * arrive together (see InsertBatcher). Each element of the JSON parameter is a trace with its
 * spans; returns the ids that were new. The others exist, here or in another project, and take the
 * merge path (or the 409) one by one. The spans are read from the JSON once (`xs`), each measured
 * once: their rows and their trace's totals come from there.
 */
export const INSERT_NEW_TRACES = `
  WITH i AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(
      trace_id uuid, project_id uuid, name text, status text, input jsonb, output jsonb, metadata jsonb,
      started_at timestamptz, ended_at timestamptz, session_id text, user_id text, tags text[], environment text,
      release text, spans jsonb)
  ),
  xs AS MATERIALIZED (
    SELECT i.trace_id, x.*, ${SPAN_BYTES('x')} AS size_bytes FROM i CROSS JOIN LATERAL ${SPAN_RECORDSET('i.spans')}
  ),
  totals AS (SELECT x.trace_id, ${SPAN_TOTAL_COLUMNS('x')} FROM xs x GROUP BY x.trace_id),
  ins AS (
    INSERT INTO traces (${TRACE_COLUMNS}, span_count, total_tokens, total_cost, spans_bytes)
    SELECT i.trace_id, i.project_id, i.name, i.status, i.input, i.output, COALESCE(i.metadata, '{}'::jsonb),
           i.started_at, i.ended_at, i.session_id, i.user_id, COALESCE(i.tags, '{}'), i.environment, i.release,
           COALESCE(a.span_count, 0), COALESCE(a.total_tokens, 0), COALESCE(a.total_cost, 0), COALESCE(a.spans_bytes, 0)
    FROM i LEFT JOIN totals a ON a.trace_id = i.trace_id
    ON CONFLICT (trace_id) DO NOTHING
    RETURNING trace_id
  ),
  sp AS (
    INSERT INTO spans (${SPAN_COLUMNS})
    SELECT ${SPAN_VALUES('x.trace_id', 'x.size_bytes')} FROM xs x JOIN ins ON ins.trace_id = x.trace_id
  )
  SELECT trace_id FROM ins`;

/**
 * A re-post: the trace's own fields come from the new body. A provisional body (spans whose trace
 * root has not been seen, e.g. OTLP children exported before their parent) only fills a new trace:
 * on an existing one it keeps the name, status, times, input and output already there.
 */
const upsertTrace = (provisional: boolean) => `
  INSERT INTO traces AS t (${TRACE_COLUMNS}) VALUES (${TRACE_VALUES})
  ON CONFLICT (trace_id) DO UPDATE SET
    ${
      provisional
        ? ''
        : `name = EXCLUDED.name,
    status = EXCLUDED.status,
    started_at = EXCLUDED.started_at,
    input = COALESCE(EXCLUDED.input, t.input),
    output = COALESCE(EXCLUDED.output, t.output),
    ended_at = COALESCE(EXCLUDED.ended_at, t.ended_at),`
    }
    session_id = COALESCE(EXCLUDED.session_id, t.session_id),
    user_id = COALESCE(EXCLUDED.user_id, t.user_id),
    environment = COALESCE(EXCLUDED.environment, t.environment),
    release = COALESCE(EXCLUDED.release, t.release),
    metadata = t.metadata || EXCLUDED.metadata,
    tags = t.tags || ARRAY(SELECT x FROM unnest(EXCLUDED.tags) AS x WHERE x <> ALL (t.tags)),
    version = t.version + 1,
    updated_at = now()
  WHERE t.project_id = EXCLUDED.project_id
  RETURNING t.trace_id`;
export const UPSERT_TRACE = upsertTrace(false);
export const UPSERT_PROVISIONAL_TRACE = upsertTrace(true);

/**
 * Upserts every span of one trace in a single statement (the spans travel as one JSON parameter), then
 * recomputes the trace's aggregates from the spans as they are after the upsert: the upserted rows
 * come from RETURNING, the untouched ones from the table.
 */
export const UPSERT_SPANS_AND_AGGREGATE = `
  WITH upserted AS (
    INSERT INTO spans AS s (${SPAN_COLUMNS})
    SELECT ${SPAN_VALUES('$1::uuid')} FROM ${SPAN_RECORDSET('$2')}
    ON CONFLICT (trace_id, span_id) DO UPDATE SET
      name = EXCLUDED.name,
      kind = EXCLUDED.kind,
      status = EXCLUDED.status,
      started_at = EXCLUDED.started_at,
      parent_span_id = COALESCE(EXCLUDED.parent_span_id, s.parent_span_id),
      input = COALESCE(EXCLUDED.input, s.input),
      output = COALESCE(EXCLUDED.output, s.output),
      model = COALESCE(EXCLUDED.model, s.model),
      token_usage = COALESCE(EXCLUDED.token_usage, s.token_usage),
      ended_at = COALESCE(EXCLUDED.ended_at, s.ended_at),
      error = COALESCE(EXCLUDED.error, s.error),
      completion_start_time = COALESCE(EXCLUDED.completion_start_time, s.completion_start_time),
      model_parameters = COALESCE(EXCLUDED.model_parameters, s.model_parameters),
      cost = COALESCE(EXCLUDED.cost, s.cost),
      metadata = s.metadata || EXCLUDED.metadata,
      size_bytes = ${spanBytes(
        'COALESCE(EXCLUDED.input, s.input)',
        'COALESCE(EXCLUDED.output, s.output)',
        's.metadata || EXCLUDED.metadata',
        'COALESCE(EXCLUDED.error, s.error)',
      )}
    RETURNING s.span_id, s.token_usage, s.cost, s.size_bytes
  ), current_spans AS (
    SELECT u.token_usage, u.cost, u.size_bytes FROM upserted u
    UNION ALL
    SELECT s.token_usage, s.cost, s.size_bytes FROM spans s
    WHERE s.trace_id = $1::uuid AND NOT EXISTS (SELECT 1 FROM upserted u WHERE u.span_id = s.span_id)
  )
  UPDATE traces SET ${SET_TOTALS} FROM (${SPAN_TOTALS('c', 'current_spans c')}) a WHERE traces.trace_id = $1::uuid`;

/** After a span PATCH: the span's size from its values as they are now. */
export const REFRESH_SPAN_SIZE = `UPDATE spans s SET size_bytes = ${SPAN_BYTES('s')} WHERE s.trace_id = $1 AND s.span_id = $2`;

export const REFRESH_AGGREGATES = `
  UPDATE traces SET ${SET_TOTALS}
  FROM (${SPAN_TOTALS('s', 'spans s WHERE s.trace_id = $1::uuid')}) a
  WHERE traces.trace_id = $1::uuid`;

/**
 * The size of a trace as its JSON: the text of its free-form columns (input, output, metadata, error)
 * and those of its spans, kept by PostgreSQL in traces.size_bytes (generated from the trace's own
 * columns and spans_bytes, which every span write keeps): bounding a trace reads one column.
 */
export const TRACE_SIZE = `
  SELECT t.span_count, t.size_bytes::float8 AS bytes, cardinality(t.tags) AS tags
  FROM traces t WHERE t.project_id = $1 AND t.trace_id = $2`;
export const TRACES_BYTES = `
  SELECT COALESCE(sum(t.size_bytes), 0)::float8 AS bytes FROM traces t
  WHERE t.project_id = $1 AND t.trace_id = ANY($2::uuid[])`;

/** A PATCH of the trace's own columns, with the change marker. */
export const patchTrace = (sets: string[]) =>
  `UPDATE traces SET ${[...sets, 'version = version + 1', 'updated_at = now()'].join(', ')}
   WHERE project_id = $1 AND trace_id = $2 RETURNING 1`;

/**
 * Batch tags: removes $4, then appends the tags of $3 not there yet, changing nothing when any
 * matched trace would end with more than $5 tags.
 */
export const RETAG_TRACES = `
  WITH k AS (
    SELECT trace_id, kept || ARRAY(SELECT a FROM unnest($3::text[]) AS a WHERE a <> ALL (kept)) AS tags
    FROM (SELECT trace_id, ARRAY(SELECT x FROM unnest(tags) AS x WHERE x <> ALL ($4::text[])) AS kept
          FROM traces WHERE project_id = $1 AND trace_id = ANY($2::uuid[]) FOR UPDATE) c
  ), over AS (SELECT count(*)::int AS n FROM k WHERE cardinality(k.tags) > $5),
  u AS (
    UPDATE traces t SET tags = k.tags,
      version = t.version + CASE WHEN t.tags = k.tags THEN 0 ELSE 1 END,
      updated_at = CASE WHEN t.tags = k.tags THEN t.updated_at ELSE now() END
    FROM k
    WHERE t.trace_id = k.trace_id AND t.project_id = $1 AND (SELECT n FROM over) = 0
    RETURNING 1
  )
  SELECT (SELECT n FROM over) AS overflowing, (SELECT count(*)::int FROM u) AS updated`;

/** A JSON value as a jsonb parameter (SQL NULL for null/undefined). */
export const json = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));

/** Turns the keys present in a PATCH body into SET clauses over an allow-list of columns. */
export function buildPatch(
  columns: Record<string, PatchColumn>,
  patch: Record<string, unknown>,
  firstParamIndex: number,
): { sets: string[]; params: unknown[] } {
  const sets: string[] = [];
  const params: unknown[] = [];
  const bind = (value: unknown, cast = '') => {
    params.push(value);
    return `$${firstParamIndex + params.length - 1}${cast}`;
  };
  for (const [column, spec] of Object.entries(columns)) {
    if (!Object.prototype.hasOwnProperty.call(patch, column)) continue;
    const value = patch[column];
    if (value === undefined) continue;
    switch (spec.kind) {
      case 'notNull':
        if (value !== null) sets.push(`${column} = ${bind(value, spec.cast)}`);
        break;
      case 'merge':
        if (value !== null) sets.push(`${column} = ${column} || ${bind(JSON.stringify(value), '::jsonb')}`);
        break;
      case 'json':
        sets.push(`${column} = ${bind(json(value), '::jsonb')}`);
        break;
      case 'value':
        sets.push(`${column} = ${bind(value, spec.cast)}`);
        break;
    }
  }
  return { sets, params };
}
