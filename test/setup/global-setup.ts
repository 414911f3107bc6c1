import { ensureDatabase, migrateFresh } from '../support/own-database';
import { newTestRunId, testRun } from '../support/test-run';

/**
 * Once per run: pick the run's id (its database and Redis prefix follow from it, see
 * test/support/test-run.ts), create and migrate its database. Variables set here reach every test
 * file and, through TEST_ENV, every process a spec starts.
 */
export default async function globalSetup(): Promise<void> {
  process.env.PP_TEST_RUN_ID ??= newTestRunId();
  // No process of the run reads the checkout's .env (npm run setup writes one).
  process.env.DOTENV_CONFIG_PATH = '/dev/null';
  const run = testRun();
  await ensureDatabase(run.databaseUrl);
  await migrateFresh(run.databaseUrl);
}
