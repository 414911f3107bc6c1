import { DataSource } from 'typeorm';
import { withTimeZoneErrors } from './time-zone-errors';

/**
 * Runs one analytics statement with JIT compilation off. Their plans look expensive to PostgreSQL
 * (rollup and live branches, lateral span sums), so it JIT-compiles them, which on the bench project
 * turned a 70 ms query into 3 s. `SET LOCAL` needs a transaction: three short round trips.
 */
export async function analyticsQuery<T>(dataSource: DataSource, sql: string, params: unknown[]): Promise<T[]> {
  return withTimeZoneErrors(async () => {
    const qr = dataSource.createQueryRunner();
    await qr.connect();
    try {
      await qr.startTransaction();
      await qr.query('SET LOCAL jit = off');
      const rows: T[] = await qr.query(sql, params);
      await qr.commitTransaction();
      return rows;
    } catch (error) {
      if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await qr.release();
    }
  });
}
