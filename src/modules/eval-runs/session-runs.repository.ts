import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { buildTraceFilterSql, SqlFragment, TraceFilter } from '../traces/query/trace-filter';
import { SessionScoreEntity } from '../scores/entities/session-score.entity';
import { EvalRunEntity } from './entities/eval-run.entity';
import { lockForRetry, retryName, type NewRunFields, type RetryRefusal } from './eval-runs.repository';

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

export interface FilteredSessionRunInput extends NewRunFields, SessionMatch {
  storedFilters: Record<string, unknown>;
  samplingRate: number;
  samplingSeed: number;
  /** The monitor that spawned the run, if any. */
  monitorId?: string | null;
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

const RUN_COLUMNS = `id, project_id, name, target_type, metric_names, filters, sampling_rate, sampling_seed, model, status, total_targets, slice_count, max_judge_calls, max_judge_tokens`;

/** The slice of a session item among `n` slices: a hash of its session id, so slices are even without sorting. */
const sliceOf = (sessionId: string, n: string) => `abs(hashtextextended(${sessionId}, 0) % ${n})::int`;

/** Work memory for the sampling sort (as trace runs). */
const SAMPLING_WORK_MEM = '64MB';

/**
 * Creation and reads of SESSION runs. A session target is a ledger item whose `session_id` is the
 * session and whose key (`trace_id`) is `session_item_key(session_id)` (migration 1764000008000),
 * so the worker claims, leases and settles it like a trace item.
 */
@Injectable()
export class SessionRunsRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(SessionScoreEntity) private readonly scores: Repository<SessionScoreEntity>,
  ) {}

  /**
   * Matches, samples and freezes a filtered session run in ONE statement: the sessions of the
   * traces that match (grouped in SQL, with the has_error and min_trace_count conditions on each
   * group), k = floor(n × rate) (at least 1) of them ordered by hashtextextended(session_id, seed),
   * then the run row and its items. No session id leaves PostgreSQL. Null, writing nothing, when
   * no session matches. Each item keeps the session's matching trace count and newest ingestion
   * time (what a SESSION monitor compares). Runs in `manager`'s transaction when given (a monitor
   * spawns its run while holding its own row lock).
   */
  async createFilteredRun(input: FilteredSessionRunInput, manager?: EntityManager): Promise<EvalRunEntity | null> {
    const id = randomUUID();
    // $1..$11 as trace runs, $12 the monitor; the match's parameters follow.
    const matched = matchedSessionsSql(input, 13);
    const sampled = input.samplingRate < 1;
    const selection = sampled
      ? `SELECT * FROM matched ORDER BY hashtextextended(session_id, $7::bigint), session_id LIMIT (SELECT k FROM plan)`
      : `SELECT * FROM matched`;
    const sql = `
      WITH matched AS MATERIALIZED (${matched.sql}
      ), plan AS (
        SELECT CASE
          WHEN n = 0 THEN 0
          WHEN $6::text::numeric >= 1 THEN n
          ELSE GREATEST(1, floor(n * $6::text::numeric))::bigint
        END AS k
        FROM (SELECT count(*)::bigint AS n FROM matched) c
      ), sliced AS (
        SELECT k, greatest(1, ceil(k::numeric / $9::int))::int AS slices FROM plan
      ), run AS (
        INSERT INTO eval_runs (${RUN_COLUMNS}, monitor_id)
        SELECT $1::uuid, $2::uuid, $3, 'SESSION', $4::varchar[], $5::jsonb, $6::text::float8, $7::bigint, $8, 'PENDING', sliced.k,
               sliced.slices, $10::int, $11::bigint, $12::uuid
        FROM sliced WHERE sliced.k > 0
        RETURNING id, slice_count
      ), items AS (
        INSERT INTO eval_run_items (run_id, trace_id, session_id, slice, session_trace_count, session_newest_trace_at)
        SELECT run.id, session_item_key(s.session_id), s.session_id, ${sliceOf('s.session_id', 'run.slice_count')},
               s.trace_count, s.newest
        FROM run CROSS JOIN (${selection}) s
        RETURNING 1
      )
      SELECT (SELECT id FROM run) AS id, (SELECT count(*) FROM items)::int AS inserted`;
    const work = async (m: EntityManager) => {
      if (sampled) await m.query(`SET LOCAL work_mem = '${SAMPLING_WORK_MEM}'`);
      const [row] = await m.query(sql, [
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
        input.monitorId ?? null,
        ...matched.params,
      ]);
      if (!row?.id) return null;
      return m.getRepository(EvalRunEntity).findOneByOrFail({ id: row.id });
    };
    return manager ? work(manager) : this.dataSource.transaction(work);
  }

  /** Session ids (in request order) with no trace in this project: one index probe each. */
  async findMissingSessionIds(projectId: string, sessionIds: string[]): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT x.id FROM unnest($2::varchar[]) WITH ORDINALITY AS x(id, ord)
       WHERE NOT EXISTS (SELECT 1 FROM traces t WHERE t.project_id = $1 AND t.session_id = x.id)
       ORDER BY x.ord`,
      [projectId, sessionIds],
    );
    return rows.map((r) => r.id);
  }

  /** A run over the given sessions (already checked to have traces in the project), with its items, in one statement. */
  async createBatchRun(
    input: NewRunFields & { sessionIds: string[]; samplingSeed: number; storedFilters: Record<string, unknown> },
  ): Promise<EvalRunEntity> {
    const id = randomUUID();
    return this.dataSource.transaction(async (m) => {
      await m.query(
        `WITH run AS (
           INSERT INTO eval_runs (${RUN_COLUMNS})
           VALUES ($1, $2, $3, 'SESSION', $4::varchar[], $5::jsonb, 1, $6, $7, 'PENDING',
                   cardinality($8::varchar[]), greatest(1, ceil(cardinality($8::varchar[])::numeric / $9::int))::int, $10::int, $11::bigint)
           RETURNING id, slice_count
         )
         INSERT INTO eval_run_items (run_id, trace_id, session_id, slice)
         SELECT run.id, session_item_key(x.id), x.id, ${sliceOf('x.id', 'run.slice_count')} FROM run CROSS JOIN unnest($8::varchar[]) AS x(id)`,
        [
          id,
          input.projectId,
          input.name,
          input.metricNames,
          JSON.stringify(input.storedFilters),
          input.samplingSeed,
          input.model,
          input.sessionIds,
          input.sliceSize,
          input.maxJudgeCalls,
          input.maxJudgeTokens,
        ],
      );
      return m.getRepository(EvalRunEntity).findOneByOrFail({ id });
    });
  }

  /**
   * A retry of a terminal session run: one item per session with unfinished work, carrying exactly
   * its unfinished metrics (FAILED session scores, and for items never finished the metrics with
   * no score), not the cross product the original re-runs. Sessions with no trace left are skipped.
   * The signal weights are carried over. Locking and the one-retry-in-flight rule are as trace runs.
   */
  async createRetryRun(
    original: EvalRunEntity,
    fields: Pick<NewRunFields, 'sliceSize' | 'maxJudgeCalls' | 'maxJudgeTokens'>,
    samplingSeed: number,
  ): Promise<EvalRunEntity | RetryRefusal> {
    const id = randomUUID();
    const name = retryName(original);
    const weights = original.filters?.signal_weights;
    const carried = weights ? { signal_weights: weights } : {};
    return this.dataSource.transaction(async (m) => {
      const inFlight = await lockForRetry(m, original.id);
      if (inFlight) return inFlight;
      const [row] = await m.query(
        `WITH wanted AS (
           SELECT i.session_id, i.state, unnest(coalesce(i.metric_names, o.metric_names)) AS name
           FROM eval_run_items i JOIN eval_runs o ON o.id = i.run_id
           WHERE i.run_id = $3::uuid
         ), failed AS (
           SELECT w.session_id, array_agg(DISTINCT w.name ORDER BY w.name)::varchar[] AS names
           FROM wanted w
           LEFT JOIN session_scores s ON s.eval_run_id = $3::uuid AND s.session_id = w.session_id AND s.name = w.name
           WHERE (s.status = 'FAILED' OR (s.id IS NULL AND w.state <> 'DONE'))
             AND EXISTS (SELECT 1 FROM traces t WHERE t.project_id = $2 AND t.session_id = w.session_id)
           GROUP BY w.session_id
         ), plan AS (
           SELECT count(*)::int AS n,
                  coalesce(jsonb_agg(to_jsonb(session_id) ORDER BY session_id), '[]'::jsonb) AS ids,
                  (SELECT array_agg(DISTINCT u ORDER BY u) FROM failed, unnest(failed.names) AS u)::varchar[] AS metrics
           FROM failed
         ), run AS (
           INSERT INTO eval_runs (${RUN_COLUMNS}, retry_of)
           SELECT $1::uuid, $2::uuid, $4, 'SESSION', plan.metrics,
                  jsonb_build_object('retry_of', $3::uuid::text, 'session_ids', plan.ids) || $10::jsonb,
                  1, $5::bigint, $6, 'PENDING', plan.n, greatest(1, ceil(plan.n::numeric / $7::int))::int, $8::int, $9::bigint, $3::uuid
           FROM plan WHERE plan.n > 0
           RETURNING id, slice_count
         ), items AS (
           INSERT INTO eval_run_items (run_id, trace_id, session_id, metric_names, slice)
           SELECT run.id, session_item_key(failed.session_id), failed.session_id, failed.names,
                  ${sliceOf('failed.session_id', 'run.slice_count')}
           FROM run CROSS JOIN failed
           RETURNING 1
         )
         SELECT (SELECT id FROM run) AS id`,
        [
          id,
          original.projectId,
          original.id,
          name,
          samplingSeed,
          original.model,
          fields.sliceSize,
          fields.maxJudgeCalls,
          fields.maxJudgeTokens,
          JSON.stringify(carried),
        ],
      );
      if (!row?.id) return { nothing: true };
      return m.getRepository(EvalRunEntity).findOneByOrFail({ id: row.id });
    });
  }

  /** One page of a run's session scores, newest first (keyset after `afterId`, else from `offset`). */
  listRunScores(
    projectId: string,
    runId: string,
    page: { count: number; offset?: number; afterId?: string },
  ): Promise<SessionScoreEntity[]> {
    const qb = this.scores
      .createQueryBuilder('s')
      .where('s.evalRunId = :runId AND s.projectId = :projectId', { runId, projectId })
      .orderBy('s.createdAt', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .limit(page.count);
    if (page.afterId) {
      qb.andWhere('(s.created_at, s.id) < (SELECT created_at, id FROM session_scores WHERE id = :afterId)', {
        afterId: page.afterId,
      });
    } else if (page.offset) qb.offset(page.offset);
    return qb.getMany();
  }
}
