import { DataSource, EntityManager, type QueryRunner } from 'typeorm';

/**
 * A statement a worker sends thousands of times with other values: sent as a named prepared
 * statement, so each connection parses it once and PostgreSQL plans it a few times and then keeps
 * a generic plan. Planning the ledger's claim and settle cost PostgreSQL about as much CPU as
 * running them (issue 27, point 4 in docs/performance.md). Only for statements whose best plan
 * does not depend on the values (keys, arrays of keys, JSON batches).
 */
export interface Prepared {
  /** Unique per text: a connection knows a name for one text. */
  readonly name: string;
  readonly text: string;
}

export const prepared = (name: string, text: string): Prepared => ({ name, text });

/** A statement's rows and affected-row count, whatever the command. */
export interface ExecResult<T> {
  rows: T[];
  affected: number;
}

/**
 * A raw statement, text or prepared, with its rows and affected count (the ledger's and the score
 * stores' way; other raw reads call `query()`): on a runner (its transaction, if any), on an entity
 * manager's runner, or on a pool connection taken for it. A prepared statement goes to `pg` as its `{ name, text }` query config: TypeORM's
 * `query()` types its first argument as a string but hands it to `pg` as it is (docs/architecture.md,
 * "Prepared statements"). Errors are wrapped as for any other TypeORM query.
 */
export async function execute<T = Record<string, unknown>>(
  on: QueryRunner | EntityManager | DataSource,
  statement: string | Prepared,
  params: unknown[] = [],
): Promise<ExecResult<T>> {
  const pool = on instanceof DataSource ? on : on instanceof EntityManager && !on.queryRunner ? on.connection : null;
  const runner: QueryRunner = pool
    ? pool.createQueryRunner()
    : on instanceof EntityManager
      ? on.queryRunner!
      : (on as QueryRunner);
  try {
    const result = await runner.query(statement as string, params, true);
    return { rows: (result.records ?? []) as T[], affected: result.affected ?? 0 };
  } finally {
    if (pool) await runner.release();
  }
}

/** Runs `work` in a transaction on a runner of its own, committed when `keep` says so (else rolled back); its result. */
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
