import './config/dotenv';
import 'reflect-metadata';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { exitOnStartupError, preflight } from './bootstrap/preflight';
import { AppConfig, loadConfig } from './config/env';
import { buildDataSourceOptions } from './database/data-source-options';
import { BootstrapService } from './modules/auth/bootstrap.service';
import { createTenancyContext } from './tenancy-context';

/**
 * `node dist/src/prepare.js`: checks PostgreSQL and Redis (one clear line and a non-zero exit when
 * one is missing), creates the configured database when it does not exist, applies pending
 * migrations, and runs the INIT_* bootstrap (organization, project, API key, owner) so the printed
 * key works at once. Used by `npm run setup` and the compose `migrate` service.
 *
 * `prepare.js --addresses` prints the PostgreSQL and Redis host and port, `prepare.js --banner` the
 * URLs and the key: both read the configuration exactly as the service does (environment over .env).
 */
async function prepare(config: AppConfig): Promise<void> {
  await preflight(config, { databaseMayBeMissing: true, migrationsMayBePending: true });
  const url = new URL(config.database.url);
  const name = decodeURIComponent(url.pathname.slice(1));
  const admin = new Client({ connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).toString() });
  await admin.connect();
  const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (!found.rowCount) {
    await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    console.log(`created database ${name}`);
  }
  await admin.end();

  const ds = new DataSource(buildDataSourceOptions(config));
  await ds.initialize();
  const applied = await ds.runMigrations({ transaction: 'each' });
  console.log(applied.length ? `applied ${applied.length} migration(s)` : 'database schema is up to date');
  await ds.destroy();

  if (config.init.orgName) {
    const app = await createTenancyContext(config);
    const result = await app.get(BootstrapService).run();
    await app.close();
    for (const what of result?.created ?? []) console.log(`created ${what} (INIT_CREATE=true)`);
    console.log(
      `ensured organization '${config.init.orgName}'${config.init.projectName ? `, project '${config.init.projectName}'` : ''}${config.init.apiKey ? ' and its API key' : ''}`,
    );
  }
}

function addresses(config: AppConfig): string {
  const pg = new URL(config.database.url);
  const redis = new URL(config.redis.url);
  return [
    `PG_HOST=${pg.hostname}`,
    `PG_PORT=${pg.port || 5432}`,
    `REDIS_HOST=${redis.hostname}`,
    `REDIS_PORT=${redis.port || 6379}`,
    `API_PORT=${config.port}`,
  ].join('\n');
}

function banner(config: AppConfig): string {
  const base = `http://localhost:${config.port}`;
  const { apiKey, projectName } = config.init;
  const admin = config.auth.adminToken;
  const scripted = config.judge.defaultModel.startsWith('scripted/');
  return `
  API:          ${base}
  Swagger UI:   ${base}/docs
  OpenAPI:      ${base}/openapi.json
  Metrics:      ${base}/metrics
  Bull Board:   ${base}/admin/queues${
    admin
      ? `
                in a browser: any user name, password = ADMIN_TOKEN (${admin})
                from scripts: -H "Authorization: Bearer ${admin}"`
      : '   (off: set ADMIN_TOKEN to enable it)'
  }

  API key:      ${apiKey ?? '(none: set INIT_API_KEY, or npm run cli -- create-api-key)'}
  Project:      ${projectName ?? '(none: set INIT_PROJECT_NAME)'}
  Judge:        ${config.judge.defaultModel}${scripted ? '   (SCRIPTED canned answers: start `npm run judge:scripted`, or set a real provider, see .env)' : ''}

  Try it:  curl -s ${base}/projects/current -H "X-API-Key: ${apiKey ?? '<key>'}" -H "X-Project-Name: ${projectName ?? '<project>'}"
`;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const mode = process.argv[2];
  if (mode === '--addresses') console.log(addresses(config));
  else if (mode === '--banner') console.log(banner(config));
  else await prepare(config);
}

main().catch(exitOnStartupError);
