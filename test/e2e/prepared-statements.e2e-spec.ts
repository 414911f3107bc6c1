import { DataSource } from 'typeorm';
import { TEST_ENV } from '../support/test-env';
import { loadConfig } from '../../src/config/env';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { execute, inTransaction, prepared } from '../../src/database/prepared';

/**
 * `execute` hands a `{ name, text }` statement to `pg` through TypeORM's string-typed `query()`
 * (docs/architecture.md, "Prepared statements"): this proves, on the run's real database, that the
 * statement is prepared under its name, not sent as text nor stringified.
 */
describe('execute (the run database)', () => {
  let ds: DataSource;
  beforeAll(async () => {
    ds = new DataSource(buildDataSourceOptions(loadConfig(TEST_ENV)));
    await ds.initialize();
  });
  afterAll(() => ds?.destroy());

  const addOne = prepared('pp_spec_add_one', 'SELECT $1::int + 1 AS v');

  it('prepares a statement once per connection under its name and runs it with each call’s values', async () => {
    const seen = await inTransaction(ds, async (runner) => {
      const first = await execute<{ v: number }>(runner, addOne, [1]);
      const second = await execute<{ v: number }>(runner, addOne, [41]);
      const named = await execute<{ name: string; statement: string }>(
        runner,
        'SELECT name, statement FROM pg_prepared_statements WHERE name = $1',
        [addOne.name],
      );
      return { first: first.rows, second: second.rows, named: named.rows };
    });
    expect(seen.first).toEqual([{ v: 2 }]);
    expect(seen.second).toEqual([{ v: 42 }]);
    expect(seen.named).toEqual([{ name: addOne.name, statement: addOne.text }]);
  });

  it('reports the rows a command changed, on a connection of the pool taken for the call', async () => {
    const insert = prepared('pp_spec_insert', 'INSERT INTO pp_spec_rows SELECT generate_series(1, $1::int)');
    // A temporary table lives on one connection: run both on the same runner.
    const affected = await inTransaction(ds, async (runner) => {
      await execute(runner, 'CREATE TEMP TABLE pp_spec_rows (n int) ON COMMIT DROP');
      return (await execute(runner, insert, [3])).affected;
    });
    expect(affected).toBe(3);
    const pooled = await execute<{ v: number }>(ds, addOne, [9]);
    expect(pooled).toEqual({ rows: [{ v: 10 }], affected: 1 });
  });

  it('rolls back what the work did when it throws, and when `keep` says no', async () => {
    const table = `pp_spec_${process.pid}_${Date.now()}`;
    const found = async () =>
      (await execute<{ found: string | null }>(ds, 'SELECT to_regclass($1)::text AS found', [table])).rows[0].found;
    await expect(
      inTransaction(ds, async (runner) => {
        await execute(runner, `CREATE TABLE ${table} (n int)`);
        expect(await execute(runner, 'SELECT to_regclass($1) AS found', [table])).toMatchObject({ affected: 1 });
        throw new Error('stop');
      }),
    ).rejects.toThrow('stop');
    expect(await found()).toBeNull();
    const kept = await inTransaction(
      ds,
      async (runner) => (await execute(runner, `CREATE TABLE ${table} (n int)`)).affected,
      () => false,
    );
    expect(kept).toBe(0);
    expect(await found()).toBeNull();
  });
});
