import type { DataSource, QueryRunner } from 'typeorm';
import { queryPrepared, type Prepared } from '../../../database/prepared';

/** A statement's rows and affected-row count, whatever the command. */
export interface ExecResult<T> {
  rows: T[];
  affected: number;
}

/** One statement (text, or prepared) on `runner`, released after it when `release` (a runner of its own). */
export async function execOn<T = Record<string, unknown>>(
  runner: QueryRunner,
  sql: string | Prepared,
  params: unknown[] = [],
  release = false,
): Promise<ExecResult<T>> {
  try {
    if (typeof sql !== 'string') return await queryPrepared<T>(runner, sql, params);
    const result = await runner.query(sql, params, true);
    return { rows: (result.records ?? []) as T[], affected: result.affected ?? 0 };
  } finally {
    if (release) await runner.release();
  }
}

/** One statement on a runner of its own. */
export function exec<T = Record<string, unknown>>(ds: DataSource, sql: string | Prepared, params: unknown[] = []) {
  return execOn<T>(ds.createQueryRunner(), sql, params, true);
}

/** Runs `work` in a transaction, committed when `keep` says so (else rolled back); its result. */
export async function inTransaction<T>(
  ds: DataSource,
  work: (runner: QueryRunner) => Promise<T>,
  keep: (result: T) => boolean = () => true,
): Promise<T> {
  const runner = ds.createQueryRunner();
  try {
    await runner.startTransaction();
    try {
      const result = await work(runner);
      if (keep(result)) await runner.commitTransaction();
      else await runner.rollbackTransaction();
      return result;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw error;
    }
  } finally {
    await runner.release();
  }
}
