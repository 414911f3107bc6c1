import Redis from 'ioredis';
import { Client } from 'pg';
import { describeUrl } from '../config/describe-url';
import { ConfigError, type AppConfig } from '../config/env';
import { MIGRATIONS } from '../database/migrations';

/** How long each dependency gets to answer at start-up: well inside the 15 s an operator waits. */
const CONNECT_TIMEOUT_MS = 5_000;

/** A dependency the process cannot start without; the message is one line: variable, address, fix. */
export class DependencyError extends Error {
  constructor(
    message: string,
    /** 69 EX_UNAVAILABLE; 78 EX_CONFIG when the address itself is wrong (e.g. a Redis db index out of range). */
    readonly exitCode = 69,
  ) {
    super(message);
    this.name = 'DependencyError';
  }
}

const addressOf = (raw: string, defaultPort: number) => {
  const url = new URL(raw);
  return `${url.hostname}:${url.port || defaultPort}`;
};

const reasonOf = (e: unknown): string => {
  const err = e as { code?: string; message?: string; errors?: { code?: string }[] };
  const code = err.code ?? err.errors?.[0]?.code;
  const message = err.message ?? '';
  return code && !message.includes(code) ? `${code} ${message}`.trim() : message || String(e);
};

export interface PreflightOptions {
  /** Setup creates a missing database and applies migrations itself. */
  databaseMayBeMissing?: boolean;
  migrationsMayBePending?: boolean;
}

/**
 * Checks, before Nest starts, that PostgreSQL answers with the configured database migrated and
 * that Redis answers. Throws a DependencyError whose message names the variable, the address
 * tried and the fix, instead of library retries and stack traces.
 */
export async function preflight(config: AppConfig, options: PreflightOptions = {}): Promise<void> {
  // Both are checked, and both reported when both are wrong: one line each.
  const results = await Promise.allSettled([checkPostgres(config, options), checkRedis(config)]);
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (errors.length === 0) return;
  if (errors.length === 1 || !errors.every((e) => e instanceof DependencyError)) throw errors[0];
  const [pg, redis] = errors as DependencyError[];
  throw new DependencyError(`${pg.message}\n${redis.message}`, Math.max(pg.exitCode, redis.exitCode));
}

/** The db index of a Redis URL (`/3`), or a DependencyError (exit 78) naming what is wrong with it. */
function redisDbIndex(raw: string): number {
  const path = new URL(raw).pathname.replace(/^\//, '');
  if (path === '') return 0;
  if (!/^\d{1,5}$/.test(path))
    throw new DependencyError(
      `REDIS_URL=${describeUrl(raw)} names database "${path}": the path must be a database index (e.g. /0).`,
      78,
    );
  return Number(path);
}

async function checkPostgres(config: AppConfig, options: PreflightOptions): Promise<void> {
  const where = `DATABASE_URL=${describeUrl(config.database.url)}`;
  const address = addressOf(config.database.url, 5432);
  const database = decodeURIComponent(new URL(config.database.url).pathname.slice(1));
  const client = new Client({ connectionString: config.database.url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => undefined); // a late socket error after a failed connect must not crash
  try {
    await client.connect();
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === '3D000') {
      if (options.databaseMayBeMissing) return;
      throw new DependencyError(
        `PostgreSQL at ${address} has no database "${database}" (${where}): run \`npm run setup\` to create and migrate it, or fix DATABASE_URL.`,
      );
    }
    if (code === '28P01' || code === '28000')
      throw new DependencyError(
        `PostgreSQL at ${address} refused the credentials (${where}): ${reasonOf(e)}. Fix the user or password in DATABASE_URL.`,
      );
    throw new DependencyError(
      `PostgreSQL is unreachable at ${address} (${where}): ${reasonOf(e)}. Start PostgreSQL (\`npm run setup\` starts a local one) or fix DATABASE_URL.`,
    );
  }
  try {
    if (options.migrationsMayBePending) return;
    const table = await client.query<{ present: boolean }>(
      `SELECT to_regclass('public.migrations') IS NOT NULL AS present`,
    );
    const applied = new Set<string>(
      table.rows[0].present ? (await client.query('SELECT name FROM migrations')).rows.map((r) => r.name) : [],
    );
    const pending = MIGRATIONS.map((m) => m.name).filter((name) => !applied.has(name));
    if (pending.length > 0)
      throw new DependencyError(
        `PostgreSQL database "${database}" at ${address} has ${pending.length} pending migration(s) (${pending.join(', ')}; ${where}): run \`npm run migration:run\` (or \`npm run setup\`).`,
      );
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkRedis(config: AppConfig): Promise<void> {
  const where = `REDIS_URL=${describeUrl(config.redis.url)}`;
  const db = redisDbIndex(config.redis.url);
  const address = addressOf(config.redis.url, 6379);
  const redis = new Redis(config.redis.url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let lastError: unknown;
  redis.on('error', (e) => (lastError = e));
  try {
    await redis.connect();
    await redis.ping();
    // ioredis reports a failed SELECT only as an event and then serves db 0: ask again, and wait.
    if (db !== 0) await redis.call('select', String(db));
  } catch (e) {
    const error = lastError ?? e;
    const message = reasonOf(error);
    if (/NOAUTH|WRONGPASS|invalid password|invalid username/i.test(message))
      throw new DependencyError(
        `Redis at ${address} refused the credentials (${where}): ${message}. Fix the password in REDIS_URL.`,
      );
    if (/DB index is out of range/i.test(message))
      throw new DependencyError(
        `Redis at ${address} has no database ${db} (${where}): ${message}. Use an index below its \`databases\` setting (16 by default) in REDIS_URL.`,
        78,
      );
    throw new DependencyError(
      `Redis is unreachable at ${address} (${where}): ${message}. Start Redis (\`npm run setup\` starts a local one) or fix REDIS_URL.`,
    );
  } finally {
    redis.disconnect();
  }
}

/**
 * The entry points' last word on a failed start: configuration and dependency problems are one
 * clear message and a distinct exit code (78 EX_CONFIG, 69 EX_UNAVAILABLE); anything else is a bug
 * and keeps its stack trace.
 */
export function exitOnStartupError(err: unknown): never {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(78);
  }
  if (err instanceof DependencyError) {
    console.error(err.message);
    process.exit(err.exitCode);
  }
  console.error(err);
  process.exit(1);
}
