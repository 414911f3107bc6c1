import { randomBytes } from 'node:crypto';
import { AppConfig, loadConfig } from '../../../src/config/env';

/**
 * Test helper (not used by the app): a config whose judge points at a scripted
 * OpenAI-compatible server, with short timeouts and backoffs, Redis DB 5 and a unique key prefix.
 */
export function judgeTestConfig(baseUrl: string, env: Record<string, string> = {}): AppConfig {
  return loadConfig({
    OPENAI_BASE_URL: baseUrl,
    EVAL_LLM_MODEL: 'openai/judge-test',
    EVAL_EMBEDDING_MODEL: 'openai/embed-test',
    JUDGE_TIMEOUT_MS: '2000',
    JUDGE_MAX_RETRIES: '3',
    JUDGE_RETRY_BASE_MS: '5',
    JUDGE_RETRY_MAX_MS: '2000',
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/5',
    QUEUE_PREFIX: `jt${randomBytes(4).toString('hex')}`,
    ...env,
  });
}
