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

/**
 * Runs a prepared statement: on a runner (its transaction, if any), on an entity manager's runner,
 * or on a connection of the pool taken for it. Rows and affected count; errors wrapped as for any
 * other statement (TypeORM hands the query config to `pg` as it is).
 */
export async function queryPrepared<T = Record<string, unknown>>(
  on: QueryRunner | EntityManager | DataSource,
  statement: Prepared,
  params: unknown[],
): Promise<{ rows: T[]; affected: number }> {
  const pool = on instanceof DataSource ? on : on instanceof EntityManager && !on.queryRunner ? on.connection : null;
  const runner: QueryRunner = pool
    ? pool.createQueryRunner()
    : on instanceof EntityManager
      ? on.queryRunner!
      : (on as QueryRunner);
  try {
    const result = await runner.query(statement as unknown as string, params, true);
    return { rows: (result.records ?? []) as T[], affected: result.affected ?? 0 };
  } finally {
    if (pool) await runner.release();
  }
}
