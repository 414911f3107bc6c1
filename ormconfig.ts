import './src/config/dotenv';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/env';
import { buildDataSourceOptions } from './src/database/data-source-options';

// TypeORM CLI entry (npm run migration:*), compiled to dist/ormconfig.js: the app's options, plus
// the compiled entities so that migration:generate can diff them. Generated migrations are a
// starting point to review: some indexes (GIN, trigram, partial) live only in the migrations.
export default new DataSource(buildDataSourceOptions(loadConfig(), [join(__dirname, 'src/**/*.entity.js')]));
