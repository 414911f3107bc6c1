import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { EvalRunEntity } from './entities/eval-run.entity';
import {
  filteredRunParams,
  freezeFilteredRunSql,
  matchedSessionsSql,
  type NewRunFields,
  SAMPLE_SIZE_SQL,
  type SessionMatch,
} from './run-creation.sql';
import { SESSION_TARGET } from './run-targets';

export { matchedSessionsSql, type SessionMatch } from './run-creation.sql';

export interface FilteredSessionRunInput extends NewRunFields, SessionMatch {
  storedFilters: Record<string, unknown>;
  samplingRate: number;
  samplingSeed: number;
  /** The monitor that spawned the run, if any. */
  monitorId?: string | null;
}

/** Work memory for the sampling sort (as trace runs). */
const SAMPLING_WORK_MEM = '64MB';

/**
 * The session item source of filtered SESSION runs (a monitor's too): which sessions match, sampled
 * and frozen in one statement. Everything else a session run does (batch, retry, reads, cancel,
 * delete) is EvalRunsRepository's, with the session target.
 */
@Injectable()
export class SessionRunsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

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
        SELECT ${SAMPLE_SIZE_SQL} AS k
        FROM (SELECT count(*)::bigint AS n FROM matched) c
      ), ${freezeFilteredRunSql(SESSION_TARGET, selection, '$12', {
        columns: ', session_trace_count, session_newest_trace_at',
        values: ', s.trace_count, s.newest',
      })}`;
    const work = async (m: EntityManager) => {
      if (sampled) await m.query(`SET LOCAL work_mem = '${SAMPLING_WORK_MEM}'`);
      const [row] = await m.query(sql, [...filteredRunParams(id, input), input.monitorId ?? null, ...matched.params]);
      if (!row?.id) return null;
      return m.getRepository(EvalRunEntity).findOneByOrFail({ id: row.id });
    };
    return manager ? work(manager) : this.dataSource.transaction(work);
  }
}
