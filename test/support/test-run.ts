import { randomBytes } from 'node:crypto';

/**
 * One test run's own PostgreSQL database and Redis key prefix, so that two runs on one machine
 * (two checkouts, two engineers) never see or flush each other's data. The run id is chosen once,
 * in jest's global setup, and handed to the test processes and everything they spawn through
 * PP_TEST_RUN_ID. An explicit DATABASE_URL / REDIS_URL in the environment still wins (suites run
 * side by side that way); the key prefix is the run's own in every case.
 */
export interface TestRun {
  id: string;
  databaseUrl: string;
  /** True when the database is the run's own (named after its id): global teardown drops it. */
  ownDatabase: boolean;
  redisUrl: string;
  /** QUEUE_PREFIX of the run; specs that want a namespace of their own nest it under this one. */
  queuePrefix: string;
}

const DEFAULT_PG = 'postgresql://postgres@127.0.0.1:5432/';
/** Redis db 1 as before; the run's keys are told apart by their prefix, not by the db index (there are 16). */
const DEFAULT_REDIS = 'redis://127.0.0.1:6379/1';

/** A fresh run id: the jest process's pid and a random suffix (lower case, safe in a database name). */
export function newTestRunId(): string {
  return `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
}

export function testRun(env: NodeJS.ProcessEnv = process.env): TestRun {
  // Outside jest (a spec file loaded by hand), the process itself is the run.
  const id = env.PP_TEST_RUN_ID ?? `p${process.pid.toString(36)}`;
  return {
    id,
    databaseUrl: env.DATABASE_URL || `${DEFAULT_PG}pandaprobe_test_${id}`,
    ownDatabase: !env.DATABASE_URL,
    redisUrl: env.REDIS_URL || DEFAULT_REDIS,
    queuePrefix: `ppt${id}`,
  };
}
