import { randomBytes } from 'node:crypto';
import { testRun } from './test-run';

const run = testRun();

/**
 * Test defaults: the run's own database and Redis key prefix (test/support/test-run.ts), so the
 * suite never touches development data nor another run's. DATABASE_URL / REDIS_URL from the
 * environment win. DOTENV_CONFIG_PATH points dotenv away from the checkout's `.env` (the one
 * `npm run setup` writes): every process a spec starts with this environment ignores it.
 */
export const TEST_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  DOTENV_CONFIG_PATH: '/dev/null',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
  DATABASE_URL: run.databaseUrl,
  REDIS_URL: run.redisUrl,
  QUEUE_PREFIX: run.queuePrefix,
  PP_TEST_RUN_ID: run.id,
  JWT_SECRET: 'test-secret-test-secret-test-secret',
  OPENAI_API_KEY: 'sk-test',
  EVAL_LLM_MODEL: 'openai/judge-test',
  EVAL_EMBEDDING_MODEL: 'openai/embed-test',
  // Monitors left by one spec must not fire inside another spec's app (and call its judge): specs that
  // test the scheduler drive MonitorFiring themselves or enable it for their own worker processes.
  MONITOR_SCHEDULER_ENABLED: 'false',
  // Every spec calls from 127.0.0.1 and many provoke 401s on purpose: the per-IP count of failed
  // authentications would carry from one spec to the next. Specs of that limit turn it on.
  AUTH_FAILURES_PER_IP: '0',
};

/**
 * A QUEUE_PREFIX of a spec's own, inside the run's: its queues and counters are apart from other
 * specs', and global teardown still finds (and deletes) them with the run's.
 */
export function scopedPrefix(tag: string): string {
  return `${run.queuePrefix}-${tag}${randomBytes(3).toString('hex')}`;
}
