import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { Paginated } from '../../common/dto/pagination.dto';
import { buildTraceFilterSql, SqlFragment, TraceFilter } from '../traces/query/trace-filter';
import { EvalRunEntity, EvalRunStatus } from './entities/eval-run.entity';
import { TraceScoreEntity } from '../scores/entities/trace-score.entity';
import { ledgerCtesSql, PENDING_TRACES_SQL } from './pending-items.sql';

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

export type TargetType = 'TRACE' | 'SESSION';

/** Why a retry cannot be created. */
export type RetryRefusal = { inFlight: { id: string; status: string } } | { nothing: true };

export const retryName = (original: EvalRunEntity): string => `Retry: ${original.name ?? original.id}`.slice(0, 255);

/**
 * Inside a retry's transaction: locks the original run's row, so concurrent retries queue, and
 * returns the refusal when a retry of it is still PENDING or RUNNING (the partial unique index on
 * retry_of backs this up).
 */
export async function lockForRetry(m: EntityManager, originalId: string): Promise<RetryRefusal | null> {
  await m.query(`SELECT id FROM eval_runs WHERE id = $1 FOR UPDATE`, [originalId]);
  const [inFlight] = await m.query(
    `SELECT id, status FROM eval_runs WHERE retry_of = $1 AND status IN ('PENDING', 'RUNNING') LIMIT 1`,
    [originalId],
  );
  return inFlight ? { inFlight: { id: inFlight.id, status: inFlight.status } } : null;
}

export interface FilteredRunInput extends NewRunFields {
  filter: TraceFilter;
  /** The filters as stored on the run (as sent, nulls dropped). */
  storedFilters: Record<string, unknown>;
  /** Sent to PostgreSQL as its decimal text (e.g. "0.1"), so k = floor(n × rate) is exact, not float-rounded. */
  samplingRate: number;
  samplingSeed: number;
  /** The monitor that spawned the run, if any. */
  monitorId?: string | null;
  /** A further condition on the traces (alias `t`), e.g. a monitor's incremental window; params from `firstParam`. */
  extraWhere?: (firstParam: number) => SqlFragment;
  /** Record on each item the version of the trace taken (traces.version, same snapshot): monitors key on it. */
  recordTraceVersion?: boolean;
  /** Tests only: the share of matches collected as candidates (default candidateShare(rate)); 0 forces the full top-k. */
  candidateShare?: number;
}

/**
 * The share of the matches collected as sampling candidates: the rate plus 5 % of it plus 0.2 %
 * of the matches. At 800,000 matches and rate 0.1 that is 85,600 expected candidates for 80,000
 * places, 19 standard deviations of margin; only small sets (where a second scan costs little)
 * fall short with any real probability.
 */
export const candidateShare = (rate: number): number => rate * 1.05 + 0.002;

/**
 * The int8 hash below which a trace is a candidate: uuid_hash_extended is uniform over the signed
 * 64-bit range, so the bottom `share` of that range. Null (everything) when share is 1 or more.
 */
export function candidateThreshold(share: number): string | null {
  if (share >= 1) return null;
  const fraction = BigInt(Math.floor(Math.max(0, share) * 2 ** 53));
  return String(-(2n ** 63n) + fraction * 2n ** 11n);
}

/**
 * Work memory for the sampling sort: the top-k heap of a 1,000,000-trace project at rate 0.1
 * holds 100,000 rows, which the default 4 MB would spill to disk.
 */
const SAMPLING_WORK_MEM = '64MB';

/** random_page_cost for the creation statement (PostgreSQL's default, 4, models spinning disks). */
const SCAN_RANDOM_PAGE_COST = 1.1;

const RUN_COLUMNS = `id, project_id, name, target_type, metric_names, filters, sampling_rate, sampling_seed, model, status, total_targets, slice_count, max_judge_calls, max_judge_tokens`;

/** The slice of an item among `n` slices: a hash of its trace id, so slices are even without sorting. */
const sliceOf = (traceId: string, n: string) => `abs(uuid_hash_extended(${traceId}, 0) % ${n})::int`;

/** Run persistence for the API side: creation with its ledger, reads and deletion, all scoped to a project. */
@Injectable()
export class EvalRunsRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(EvalRunEntity) private readonly runs: Repository<EvalRunEntity>,
    @InjectRepository(TraceScoreEntity) private readonly scores: Repository<TraceScoreEntity>,
  ) {}

  /**
   * Matches, samples and freezes a filtered run in ONE statement, scanning the matches once: the
   * scan counts them and collects the candidates whose uuid_hash_extended(trace_id, seed) is below
   * a threshold chosen so that, in expectation, a few percent more than k fall under it (see
   * candidateThreshold). The sample is the k smallest (hash, trace_id) among the candidates, which
   * is exactly the k smallest among all matches whenever there are at least k candidates (every
   * non-candidate hashes at or above the threshold). When there are fewer (small or unlucky sets)
   * a second scan takes the full top-k, so the sample never depends on the threshold. No trace id
   * leaves PostgreSQL. Returns null, writing nothing, when no trace matches. Runs in `manager`'s
   * transaction when given (a monitor spawns its run while holding its own row lock).
   */
  async createFilteredRun(input: FilteredRunInput, manager?: EntityManager): Promise<EvalRunEntity | null> {
    const id = randomUUID();
    const head = [
      id,
      input.projectId,
      input.name,
      input.metricNames,
      JSON.stringify(input.storedFilters),
      String(input.samplingRate),
    ];
    // $1..$6 as above, $7 seed, $8 model, $9 slice size, $10/$11 budgets, $12 the candidates' hash
    // threshold (null: every match is a candidate), $13 monitor; the filter's parameters follow.
    const base = buildTraceFilterSql(input.filter, 't', 14);
    const extra = input.extraWhere?.(14 + base.params.length);
    const where = extra ? { sql: `${base.sql} AND ${extra.sql}`, params: [...base.params, ...extra.params] } : base;
    const sampled = input.samplingRate < 1;
    const hash = (col: string) => `uuid_hash_extended(${col}, $7::bigint)`;
    const selection = sampled
      ? `(SELECT c.trace_id FROM scan CROSS JOIN unnest(scan.candidates) AS c(trace_id)
          WHERE (SELECT enough FROM plan)
          ORDER BY ${hash('c.trace_id')}, c.trace_id LIMIT (SELECT k FROM plan))
         UNION ALL
         (SELECT t.trace_id FROM traces t WHERE ${where.sql} AND NOT (SELECT enough FROM plan)
          ORDER BY ${hash('t.trace_id')}, t.trace_id LIMIT (SELECT k FROM plan))`
      : `SELECT t.trace_id FROM traces t WHERE ${where.sql}`;
    const scan = sampled
      ? `SELECT count(*)::bigint AS n,
                coalesce(array_agg(t.trace_id) FILTER (WHERE $12::bigint IS NULL OR ${hash('t.trace_id')} < $12::bigint),
                         '{}') AS candidates
         FROM traces t WHERE ${where.sql}`
      : // Rate 1 takes every match; $12 is still named so that the placeholders stay numbered alike.
        `SELECT count(*)::bigint AS n, '{}'::uuid[] AS candidates, $12::bigint AS threshold FROM traces t WHERE ${where.sql}`;
    const sql = `
      WITH scan AS (${scan}), plan AS (
        SELECT n, k, cardinality(candidates) >= k AS enough FROM (
          SELECT n, candidates, CASE
            WHEN n = 0 THEN 0
            WHEN $6::text::numeric >= 1 THEN n
            ELSE GREATEST(1, floor(n * $6::text::numeric))::bigint
          END AS k
          FROM scan
        ) counted
      ), sliced AS (
        SELECT k, greatest(1, ceil(k::numeric / $9::int))::int AS slices FROM plan
      ), run AS (
        INSERT INTO eval_runs (${RUN_COLUMNS}, monitor_id)
        SELECT $1::uuid, $2::uuid, $3, 'TRACE', $4::varchar[], $5::jsonb, $6::text::float8, $7::bigint, $8, 'PENDING', sliced.k,
               sliced.slices, $10::int, $11::bigint, $13::uuid
        FROM sliced WHERE sliced.k > 0
        RETURNING id, slice_count
      ), ${ledgerCtesSql({
        selection,
        slice: sliceOf('s.trace_id', 'run.slice_count'),
        version: input.recordTraceVersion
          ? '(SELECT v.version FROM traces v WHERE v.trace_id = s.trace_id)'
          : 'NULL::int',
        lazy: !input.monitorId && !input.recordTraceVersion,
      })}
      SELECT (SELECT id FROM run) AS id, (SELECT count(*) FROM items)::int AS inserted`;
    const work = async (m: EntityManager) => {
      if (sampled) await m.query(`SET LOCAL work_mem = '${SAMPLING_WORK_MEM}'`);
      // The scan reads only trace_id and the filtered columns: with SSD-like page costs the planner
      // takes the covering (project_id, started_at, trace_id) index, far smaller than the heap,
      // instead of a sequential scan (800,000 matches: ~210 vs ~470 ms for the scan alone).
      await m.query(`SET LOCAL random_page_cost = ${SCAN_RANDOM_PAGE_COST}`);
      const [row] = await m.query(sql, [
        ...head,
        input.samplingSeed,
        input.model,
        input.sliceSize,
        input.maxJudgeCalls,
        input.maxJudgeTokens,
        candidateThreshold(input.candidateShare ?? candidateShare(input.samplingRate)),
        input.monitorId ?? null,
        ...where.params,
      ]);
      if (!row?.id) return null;
      return m.getRepository(EvalRunEntity).findOneByOrFail({ id: row.id });
    };
    return manager ? work(manager) : this.dataSource.transaction(work);
  }

  /** Trace ids (in request order) that are not traces of this project. */
  async findMissingTraceIds(projectId: string, traceIds: string[]): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT x.id FROM unnest($2::uuid[]) WITH ORDINALITY AS x(id, ord)
       LEFT JOIN traces t ON t.trace_id = x.id AND t.project_id = $1
       WHERE t.trace_id IS NULL ORDER BY x.ord`,
      [projectId, traceIds],
    );
    return rows.map((r) => r.id);
  }

  /** A run over the given traces (already checked to belong to the project), with its items, in one statement. */
  async createBatchRun(input: NewRunFields & { traceIds: string[]; samplingSeed: number }): Promise<EvalRunEntity> {
    const id = randomUUID();
    return this.dataSource.transaction(async (m) => {
      await m.query(
        `WITH run AS (
           INSERT INTO eval_runs (${RUN_COLUMNS})
           VALUES ($1, $2, $3, 'TRACE', $4::varchar[], jsonb_build_object('trace_ids', to_jsonb($5::uuid[])), 1, $6, $7, 'PENDING',
                   cardinality($5::uuid[]), greatest(1, ceil(cardinality($5::uuid[])::numeric / $8::int))::int, $9::int, $10::bigint)
           RETURNING id, slice_count
         )
         INSERT INTO eval_run_items (run_id, trace_id, slice)
         SELECT run.id, x.id, ${sliceOf('x.id', 'run.slice_count')} FROM run CROSS JOIN unnest($5::uuid[]) AS x(id)`,
        [
          id,
          input.projectId,
          input.name,
          input.metricNames,
          input.traceIds,
          input.samplingSeed,
          input.model,
          input.sliceSize,
          input.maxJudgeCalls,
          input.maxJudgeTokens,
        ],
      );
      return m.getRepository(EvalRunEntity).findOneByOrFail({ id });
    });
  }

  /**
   * A retry of a terminal run: one item per trace with unfinished work, carrying exactly its
   * unfinished metrics: pairs with a FAILED score, and, for items that never finished (a cancelled
   * or stopped run), pairs with no score at all. Traces deleted since are left out. The run's metrics
   * are their sorted union. The original row is locked, so concurrent retries queue and the second
   * finds the first in flight (the partial unique index on retry_of backs this up).
   */
  async createRetryRun(
    original: EvalRunEntity,
    fields: Pick<NewRunFields, 'sliceSize' | 'maxJudgeCalls' | 'maxJudgeTokens'>,
    samplingSeed: number,
  ): Promise<EvalRunEntity | RetryRefusal> {
    const id = randomUUID();
    const name = retryName(original);
    return this.dataSource.transaction(async (m) => {
      const inFlight = await lockForRetry(m, original.id);
      if (inFlight) return inFlight;
      const [row] = await m.query(
        `WITH wanted AS (
           SELECT i.trace_id, i.state, unnest(coalesce(i.metric_names, o.metric_names)) AS name
           FROM eval_run_items i JOIN eval_runs o ON o.id = i.run_id
           WHERE i.run_id = $3::uuid
           UNION ALL -- slices never taken by a worker: never started
           SELECT p.trace_id, 'PENDING', unnest(o.metric_names)
           FROM (${PENDING_TRACES_SQL('$3::uuid')}) p CROSS JOIN eval_runs o WHERE o.id = $3::uuid
         ), failed AS (
           SELECT w.trace_id, array_agg(DISTINCT w.name ORDER BY w.name)::varchar[] AS names
           FROM wanted w
           JOIN traces t ON t.trace_id = w.trace_id AND t.project_id = $2
           LEFT JOIN trace_scores s ON s.eval_run_id = $3::uuid AND s.trace_id = w.trace_id AND s.name = w.name
           WHERE s.status = 'FAILED' OR (s.id IS NULL AND w.state <> 'DONE')
           GROUP BY w.trace_id
         ), plan AS (
           SELECT count(*)::int AS n,
                  coalesce(jsonb_agg(to_jsonb(trace_id) ORDER BY trace_id), '[]'::jsonb) AS ids,
                  (SELECT array_agg(DISTINCT u ORDER BY u) FROM failed, unnest(failed.names) AS u)::varchar[] AS metrics
           FROM failed
         ), run AS (
           INSERT INTO eval_runs (${RUN_COLUMNS}, retry_of)
           SELECT $1::uuid, $2::uuid, $4, 'TRACE', plan.metrics, jsonb_build_object('retry_of', $3::uuid::text, 'trace_ids', plan.ids),
                  1, $5::bigint, $6, 'PENDING', plan.n, greatest(1, ceil(plan.n::numeric / $7::int))::int, $8::int, $9::bigint, $3::uuid
           FROM plan WHERE plan.n > 0
           RETURNING id, slice_count
         ), items AS (
           INSERT INTO eval_run_items (run_id, trace_id, metric_names, slice)
           SELECT run.id, failed.trace_id, failed.names, ${sliceOf('failed.trace_id', 'run.slice_count')} FROM run CROSS JOIN failed
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
        ],
      );
      if (!row?.id) return { nothing: true };
      return m.getRepository(EvalRunEntity).findOneByOrFail({ id: row.id });
    });
  }

  /**
   * PENDING/RUNNING → CANCELLED. Returns whether this call cancelled it; the run as it is now
   * (null when the project has no such run of that target type).
   */
  async cancel(
    projectId: string,
    runId: string,
    type: TargetType = 'TRACE',
  ): Promise<{ run: EvalRunEntity | null; cancelled: boolean }> {
    const affected = await this.dataSource.transaction(async (m) => {
      // The run's score lock, as every score write and settlement of it takes: a batch being written
      // commits before the cancel, or sees CANCELLED and writes nothing (EvalRunLedgerRepository).
      await m.query(`SELECT pg_advisory_xact_lock(eval_run_score_lock($1))`, [runId]);
      const result = await m
        .getRepository(EvalRunEntity)
        .createQueryBuilder()
        .update()
        .set({ status: EvalRunStatus.CANCELLED, completedAt: () => 'now()' })
        .where('id = :runId AND project_id = :projectId AND target_type = :type AND status IN (:...open)', {
          runId,
          projectId,
          type,
          open: [EvalRunStatus.PENDING, EvalRunStatus.RUNNING],
        })
        .execute();
      return result.affected ?? 0;
    });
    return { run: await this.findRun(projectId, runId, type), cancelled: affected > 0 };
  }

  /** A run of this project with that target type, or null. */
  findRun(projectId: string, runId: string, type: TargetType = 'TRACE'): Promise<EvalRunEntity | null> {
    return this.runs.findOneBy({ id: runId, projectId, targetType: type });
  }

  async listRuns(
    projectId: string,
    status: EvalRunStatus | undefined,
    limit: number,
    offset: number,
    type: TargetType = 'TRACE',
  ): Promise<Paginated<EvalRunEntity>> {
    const where = { projectId, targetType: type, ...(status ? { status } : {}) };
    const [items, total] = await this.runs.findAndCount({
      where,
      order: { createdAt: 'DESC', id: 'DESC' },
      take: limit,
      skip: offset,
    });
    return { items, total, limit, offset };
  }

  /**
   * Deletes a run (its items go with it). Scores are deleted or, by default, unlinked by the FK: a
   * SESSION run's session scores and its signals (trace scores) alike.
   */
  async deleteRun(
    projectId: string,
    runId: string,
    deleteScores: boolean,
    type: TargetType = 'TRACE',
  ): Promise<boolean> {
    return this.dataSource.transaction(async (m: EntityManager) => {
      const locked: unknown[] = await m.query(
        `SELECT id FROM eval_runs WHERE id = $1 AND project_id = $2 AND target_type = $3 FOR UPDATE`,
        [runId, projectId, type],
      );
      if (locked.length === 0) return false;
      if (deleteScores) {
        await m.query(`DELETE FROM trace_scores WHERE eval_run_id = $1 AND project_id = $2`, [runId, projectId]);
        if (type === 'SESSION') {
          await m.query(`DELETE FROM session_scores WHERE eval_run_id = $1 AND project_id = $2`, [runId, projectId]);
        }
      }
      await m.query(`DELETE FROM eval_runs WHERE id = $1`, [runId]);
      return true;
    });
  }

  /**
   * One page of a run's scores, newest first: `count` scores after the score `afterId` (keyset, so a
   * long run is read in constant time per page), or from `offset` when there is no `afterId`.
   */
  listRunScores(
    projectId: string,
    runId: string,
    page: { count: number; offset?: number; afterId?: string },
  ): Promise<TraceScoreEntity[]> {
    const qb = this.scores
      .createQueryBuilder('s')
      .where('s.evalRunId = :runId AND s.projectId = :projectId', { runId, projectId })
      .orderBy('s.createdAt', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .limit(page.count);
    if (page.afterId) {
      qb.andWhere('(s.created_at, s.id) < (SELECT created_at, id FROM trace_scores WHERE id = :afterId)', {
        afterId: page.afterId,
      });
    } else if (page.offset) qb.offset(page.offset);
    return qb.getMany();
  }
}
