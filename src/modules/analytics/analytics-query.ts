import type { DataSource, QueryRunner } from 'typeorm';
import type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';
import { withTimeZoneErrors } from './time-zone-errors';

/**
 * Runs `work` in a transaction with JIT compilation off. Analytics plans look expensive to
 * PostgreSQL (rollup and live branches, lateral span sums), so it JIT-compiles them, which on the
 * bench project turned a 70 ms query into 3 s. `SET LOCAL` needs a transaction.
 */
export async function withJitOff<T>(
  dataSource: DataSource,
  work: (qr: QueryRunner) => Promise<T>,
  isolation?: IsolationLevel,
): Promise<T> {
  const qr = dataSource.createQueryRunner();
  await qr.connect();
  try {
    await qr.startTransaction(isolation);
    await qr.query('SET LOCAL jit = off');
    const result = await work(qr);
    await qr.commitTransaction();
    return result;
  } catch (error) {
    if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
    throw error;
  } finally {
    await qr.release();
  }
}

/** Runs one analytics statement with JIT compilation off (see withJitOff): three short round trips. */
export async function analyticsQuery<T>(dataSource: DataSource, sql: string, params: unknown[]): Promise<T[]> {
  return withTimeZoneErrors(() => withJitOff(dataSource, (qr): Promise<T[]> => qr.query(sql, params)));
}
