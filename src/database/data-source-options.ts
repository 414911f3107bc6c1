import { DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/env';
import { MIGRATIONS } from './migrations';
import { SnakeNamingStrategy } from './snake-naming.strategy';

/**
 * The one options builder, shared by the app (DatabaseModule) and the TypeORM CLI (ormconfig.ts).
 * Schema changes happen through migrations only; `synchronize` is never on.
 */
export function buildDataSourceOptions(
  config: Pick<AppConfig, 'database'>,
  entities: DataSourceOptions['entities'] = [],
): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.database.url,
    entities,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    namingStrategy: new SnakeNamingStrategy(),
    extra: { max: config.database.poolSize },
  };
}

/**
 * The running service's pool: every statement, lock wait and idle transaction is bounded on the
 * server (set per connection at connect time), and a request waits a bounded time for a connection
 * (then the error filter answers 503 with Retry-After). Migrations and the CLI keep unbounded
 * sessions: an index build may legitimately take minutes. 0 leaves a bound off.
 */
export function boundedPoolOptions(config: Pick<AppConfig, 'database' | 'tenants'>): Record<string, number> {
  const db = config.tenants.database;
  const options: Record<string, number> = { max: config.database.poolSize };
  if (db.statementTimeoutMs > 0) options.statement_timeout = db.statementTimeoutMs;
  if (db.lockTimeoutMs > 0) options.lock_timeout = db.lockTimeoutMs;
  if (db.idleInTransactionTimeoutMs > 0) options.idle_in_transaction_session_timeout = db.idleInTransactionTimeoutMs;
  if (db.acquireTimeoutMs > 0) options.connectionTimeoutMillis = db.acquireTimeoutMs;
  return options;
}
