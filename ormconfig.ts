import './src/config/dotenv';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/env';
import { buildDataSourceOptions } from './src/database/data-source-options';

// TypeORM CLI entry (npm run migration:*): the same options the app uses.
export default new DataSource(buildDataSourceOptions(loadConfig()));
