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
