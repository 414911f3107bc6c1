import type { PoolClient } from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * Statements of the traces write path on a pg connection of TypeORM's pool, without the ORM's
 * per-query layers (they showed in the ingestion profile). The connection comes from the driver's
 * public `obtainMasterConnection()`, the same pool (size, acquire timeout, statement and lock
 * timeouts) as every other query. Errors are wrapped as TypeORM's QueryFailedError so the global
 * filter maps them as for any other query.
 */
export class PgWrites {
  constructor(private readonly dataSource: DataSource) {}

  /** A pooled connection and its release; `release(error)` drops a connection in an unknown state. */
  private async connection(): Promise<[PoolClient, (error?: unknown) => void]> {
    const [client, release] = await (this.dataSource.driver as PostgresDriver).obtainMasterConnection();
    return [client as PoolClient, release as (error?: unknown) => void];
  }

  /** One statement on a pooled connection, released as pg's `pool.query` releases it. */
  async runPooled<R = Record<string, unknown>>(sql: string, params: unknown[], name?: string): Promise<R[]> {
    const [client, release] = await this.connection();
    let failure: unknown;
    try {
      return await this.run<R>(client, sql, params, name);
    } catch (error) {
      failure = error; // as pool.query: a connection that failed a statement is not reused
      throw error;
    } finally {
      release(failure);
    }
  }

  async run<R = Record<string, unknown>>(db: PoolClient, sql: string, params: unknown[], name?: string): Promise<R[]> {
    try {
      // A name makes pg prepare the statement once per connection: hot paths skip parse and plan.
      return (await db.query(name ? { name, text: sql, values: params } : { text: sql, values: params })).rows as R[];
    } catch (error) {
      throw new QueryFailedError(sql, params, error as Error);
    }
  }

  /** Runs `work` in a transaction; commits when `commitIf(result)` holds, otherwise rolls back. */
  async inTransaction<T>(work: (client: PoolClient) => Promise<T>, commitIf: (result: T) => boolean): Promise<T> {
    const [client, release] = await this.connection();
    let broken = false;
    try {
      await client.query('BEGIN');
      let result: T;
      try {
        result = await work(client);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        throw error;
      }
      await client.query(commitIf(result) ? 'COMMIT' : 'ROLLBACK');
      return result;
    } catch (error) {
      broken = broken || !(error instanceof QueryFailedError);
      throw error;
    } finally {
      release(broken ? new Error('connection left in an unknown state') : undefined);
    }
  }
}
