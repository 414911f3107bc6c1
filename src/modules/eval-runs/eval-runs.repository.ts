import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { Paginated } from '../../common/dto/pagination.dto';
import { newestFirstPage } from '../../database/newest-first-page';
import { buildTraceFilterSql, SqlFragment, TraceFilter } from '../traces/query/trace-filter';
import { EvalRunEntity, EvalRunStatus } from './entities/eval-run.entity';
import { RunScoreStore } from '../scores/run-scores.store';
import {
  batchRunSql,
  filteredRunParams,
  missingTargetsSql,
  type NewRunFields,
  retryRunSql,
  sampledTracesRunSql,
} from './run-creation.sql';
import { runTarget, type TargetType } from './run-targets';

export type { TargetType } from './run-targets';

export type { NewRunFields } from './run-creation.sql';

/** Why a retry cannot be created. */
export type RetryRefusal = { inFlight: { id: string; status: string } } | { nothing: true };

export const retryName = (original: EvalRunEntity): string => `Retry: ${original.name ?? original.id}`.slice(0, 255);

/**
 * Inside a retry's transaction: locks the original run's row, so concurrent retries queue, and
 * returns the refusal when a retry of it is still PENDING or RUNNING (the partial unique index on
 * retry_of backs this up).
 */
async function lockForRetry(m: EntityManager, originalId: string): Promise<RetryRefusal | null> {
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

/**
 * Run persistence for the API side, for every target (see RunTarget): creation with its ledger,
 * reads and deletion, all scoped to a project. Selecting a filtered run's traces is here; a
 * session run's sessions are selected by SessionRunsRepository.
 */
@Injectable()
export class EvalRunsRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(EvalRunEntity) private readonly runs: Repository<EvalRunEntity>,
    private readonly scores: RunScoreStore,
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
    // $1..$11 the run's fields (filteredRunParams): $6 rate, $7 seed, $8 model, $9 slice size, $10/$11 budgets, $12 the candidates' hash
    // threshold (null: every match is a candidate), $13 monitor; the filter's parameters follow.
    const base = buildTraceFilterSql(input.filter, 't', 14);
    const extra = input.extraWhere?.(14 + base.params.length);
    const where = extra ? { sql: `${base.sql} AND ${extra.sql}`, params: [...base.params, ...extra.params] } : base;
    const sampled = input.samplingRate < 1;
    const sql = sampledTracesRunSql(where.sql, sampled, {
      recordTraceVersion: input.recordTraceVersion ?? false,
      // The ledger a slice at a time (pending-items.sql.ts); monitor runs keep the whole ledger.
      lazy: !input.monitorId && !input.recordTraceVersion,
    });
    const work = async (m: EntityManager) => {
      if (sampled) await m.query(`SET LOCAL work_mem = '${SAMPLING_WORK_MEM}'`);
      // The scan reads only trace_id and the filtered columns: with SSD-like page costs the planner
      // takes the covering (project_id, started_at, trace_id) index, far smaller than the heap,
      // instead of a sequential scan (800,000 matches: ~210 vs ~470 ms for the scan alone).
      await m.query(`SET LOCAL random_page_cost = ${SCAN_RANDOM_PAGE_COST}`);
      const [row] = await m.query(sql, [
        ...filteredRunParams(id, input),
        candidateThreshold(input.candidateShare ?? candidateShare(input.samplingRate)),
        input.monitorId ?? null,
        ...where.params,
      ]);
      if (!row?.id) return null;
      return m.getRepository(EvalRunEntity).findOneByOrFail({ id: row.id });
    };
    return manager ? work(manager) : this.dataSource.transaction(work);
  }

  /** Ids (in request order) of targets with no trace in this project: one index probe each. */
  async findMissingTargets(type: TargetType, projectId: string, ids: string[]): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(missingTargetsSql(runTarget(type)), [projectId, ids]);
    return rows.map((r) => r.id);
  }

  /** A run over the given targets (already checked to have traces in the project), with its items, in one statement. */
  async createBatchRun(
    type: TargetType,
    input: NewRunFields & { ids: string[]; samplingSeed: number; storedFilters: Record<string, unknown> },
  ): Promise<EvalRunEntity> {
    const id = randomUUID();
    return this.dataSource.transaction(async (m) => {
      await m.query(batchRunSql(runTarget(type)), [
        id,
        input.projectId,
        input.name,
        input.metricNames,
        JSON.stringify(input.storedFilters),
        input.samplingSeed,
        input.model,
        input.ids,
        input.sliceSize,
        input.maxJudgeCalls,
        input.maxJudgeTokens,
      ]);
      return m.getRepository(EvalRunEntity).findOneByOrFail({ id });
    });
  }

  /**
   * A retry of a terminal run (see retryRunSql): exactly its unfinished (target, metric) pairs, with
   * a session run's signal weights carried over. The original row is locked, so concurrent retries
   * queue and the second finds the first in flight (the partial unique index on retry_of backs this up).
   */
  async createRetryRun(
    original: EvalRunEntity,
    fields: Pick<NewRunFields, 'sliceSize' | 'maxJudgeCalls' | 'maxJudgeTokens'>,
    samplingSeed: number,
  ): Promise<EvalRunEntity | RetryRefusal> {
    const id = randomUUID();
    const weights = original.filters?.signal_weights;
    return this.dataSource.transaction(async (m) => {
      const inFlight = await lockForRetry(m, original.id);
      if (inFlight) return inFlight;
      const [row] = await m.query(retryRunSql(runTarget(original.targetType)), [
        id,
        original.projectId,
        original.id,
        retryName(original),
        samplingSeed,
        original.model,
        fields.sliceSize,
        fields.maxJudgeCalls,
        fields.maxJudgeTokens,
        JSON.stringify(weights ? { signal_weights: weights } : {}),
      ]);
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

  listRuns(
    projectId: string,
    status: EvalRunStatus | undefined,
    limit: number,
    offset: number,
    type: TargetType = 'TRACE',
  ): Promise<Paginated<EvalRunEntity>> {
    return newestFirstPage(this.runs, { projectId, targetType: type, ...(status ? { status } : {}) }, limit, offset);
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
        await this.scores.deleteOfRun(m, projectId, runId, type === 'SESSION' ? ['trace', 'session'] : ['trace']);
      }
      await m.query(`DELETE FROM eval_runs WHERE id = $1`, [runId]);
      return true;
    });
  }
}
