import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { databaseBusy } from '../../src/common/filters/database-errors';
import { TEST_ENV } from '../support/test-env';

/**
 * A PostgreSQL server that refuses new connections (every slot it allows taken, seen while driving
 * the dashboard on a machine shared with other test runs) is a 503 with Retry-After, like the other
 * database bounds, not a 500. The refusal here is real: a role whose connection limit is 0.
 */
describe('database refusals are 503s', () => {
  const role = `pp_refused_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: TEST_ENV.DATABASE_URL });

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE ROLE ${role} LOGIN CONNECTION LIMIT 0`);
  });
  afterAll(async () => {
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
  });

  it('answers "too many connections" (53300) with 503 and Retry-After, and leaves other errors alone', async () => {
    const url = new URL(TEST_ENV.DATABASE_URL);
    url.username = role;
    const refused = new Client({ connectionString: url.toString() });
    const error = await refused.connect().then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    await refused.end().catch(() => undefined);
    expect(error?.code).toBe('53300');
    expect(databaseBusy(error)).toEqual({
      status: 503,
      detail: 'The database refused a new connection (too many clients). Retry after 1 seconds.',
      retryAfterSeconds: 1,
    });
    const other = await admin.query('SELECT 1/0').then(
      () => undefined,
      (e: Error) => e,
    );
    expect(databaseBusy(other)).toBeNull();
  });
});
