/**
 * Test defaults: a database and Redis of their own, so the suite never touches development data.
 * DATABASE_URL / REDIS_URL from the environment win, which lets several suites run side by side.
 */
export const TEST_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/pandaprobe_test',
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/1',
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
