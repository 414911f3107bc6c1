import { TRACE_STATUSES, TraceStatus } from '../traces.constants';

/**
 * The one definition of "which traces match". Used by GET /traces and by eval runs, so that a run's
 * filters select exactly what the list shows for the same values.
 *
 * Every field is optional except the project; an absent field, an empty tag list or an empty name
 * means "no condition".
 */
export interface TraceFilter {
  projectId: string;
  /** Inclusive lower bound on started_at. */
  startedFrom?: Date;
  /** Exclusive upper bound on started_at. */
  startedBefore?: Date;
  status?: TraceStatus;
  sessionId?: string;
  userId?: string;
  /** Matches traces carrying ANY of these tags. */
  tags?: string[];
  /** Case-insensitive substring of the trace name; `%`, `_` and `\` are taken literally. */
  name?: string;
  environment?: string;
  release?: string;
}

export interface SqlFragment {
  /** A boolean SQL expression, e.g. `t.project_id = $1 AND t.status = $2`. */
  sql: string;
  /** Values for the placeholders, in order, starting at `firstParamIndex`. */
  params: unknown[];
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/i;

/** Escapes LIKE wildcards so that user text is matched literally (escape character `\`). */
export function escapeLikePattern(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function isoOrThrow(field: string, value: Date): string {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new TypeError(`TraceFilter.${field} must be a valid Date`);
  }
  return value.toISOString();
}

/**
 * Builds the WHERE fragment for a TraceFilter: a pure function of its arguments. Columns come from a
 * fixed allow-list and every value is a bound parameter, so the fragment can be embedded in any
 * statement (`SELECT ... FROM traces t WHERE ${sql}`, or an `INSERT ... SELECT`) by passing the
 * alias of the traces table and the number of the first free placeholder.
 */
export function buildTraceFilterSql(filter: TraceFilter, alias = 't', firstParamIndex = 1): SqlFragment {
  if (!IDENTIFIER.test(alias)) throw new TypeError(`Invalid table alias: ${alias}`);
  if (!Number.isInteger(firstParamIndex) || firstParamIndex < 1) {
    throw new TypeError(`Invalid first parameter index: ${firstParamIndex}`);
  }
  if (typeof filter.projectId !== 'string' || filter.projectId === '') {
    throw new TypeError('TraceFilter.projectId is required');
  }

  const conditions: string[] = [];
  const params: unknown[] = [];
  const bind = (value: unknown, cast = ''): string => {
    params.push(value);
    return `$${firstParamIndex + params.length - 1}${cast}`;
  };
  const col = (name: string) => `${alias}.${name}`;

  conditions.push(`${col('project_id')} = ${bind(filter.projectId, '::uuid')}`);
  if (filter.startedFrom !== undefined) {
    conditions.push(`${col('started_at')} >= ${bind(isoOrThrow('startedFrom', filter.startedFrom), '::timestamptz')}`);
  }
  if (filter.startedBefore !== undefined) {
    conditions.push(
      `${col('started_at')} < ${bind(isoOrThrow('startedBefore', filter.startedBefore), '::timestamptz')}`,
    );
  }
  if (filter.status !== undefined) {
    if (!(TRACE_STATUSES as readonly string[]).includes(filter.status)) {
      throw new TypeError(`Invalid trace status: ${String(filter.status)}`);
    }
    conditions.push(`${col('status')} = ${bind(filter.status)}`);
  }
  const exact: Array<[keyof TraceFilter, string]> = [
    ['sessionId', 'session_id'],
    ['userId', 'user_id'],
    ['environment', 'environment'],
    ['release', 'release'],
  ];
  for (const [field, column] of exact) {
    const value = filter[field];
    if (value !== undefined) conditions.push(`${col(column)} = ${bind(String(value))}`);
  }
  if (filter.tags !== undefined && filter.tags.length > 0) {
    conditions.push(`${col('tags')} && ${bind([...new Set(filter.tags.map(String))], '::text[]')}`);
  }
  if (filter.name !== undefined && filter.name !== '') {
    conditions.push(`${col('name')} ILIKE ${bind(`%${escapeLikePattern(filter.name)}%`)} ESCAPE '\\'`);
  }
  return { sql: conditions.join(' AND '), params };
}
