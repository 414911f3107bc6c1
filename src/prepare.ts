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
    ...scriptedJudge(config),
  ].join('\n');
}

/**
 * Where setup should start the scripted judge: when the judge model is scripted/… and
 * SCRIPTED_JUDGE_URL names this machine (a remote one is not ours to start).
 */
function scriptedJudge(config: AppConfig): string[] {
  const url = config.judge.providers.scripted.baseUrl;
  if (!url || !config.judge.defaultModel.startsWith('scripted/')) return [];
  const { hostname, port } = new URL(url);
  if (!['127.0.0.1', 'localhost'].includes(hostname)) return [];
  return [`JUDGE_HOST=${hostname}`, `JUDGE_PORT=${port || 80}`];
}

/** The banner's key check: the printed key and project answer, and whether the project was there already. */
async function keyCheck(config: AppConfig): Promise<string> {
  const { apiKey, projectName } = config.init;
  if (!apiKey || !projectName) return '';
  try {
    const res = await fetch(`http://127.0.0.1:${config.port}/projects/current`, {
      headers: { 'X-API-Key': apiKey, 'X-Project-Name': projectName },
    });
    if (!res.ok) return `\n  Key check:    FAILED: ${res.status} ${await res.text()}`;
    const created = res.headers.get('x-project-created');
    return created
      ? `\n  Key check:    OK; project '${created}' did not exist: this check created it (empty)`
      : `\n  Key check:    OK; project '${projectName}' exists`;
  } catch (e) {
    return `\n  Key check:    the API did not answer (${(e as Error).message})`;
  }
}

/** What the Judge line says about the scripted judge; SETUP_JUDGE is set by setup.sh. */
function scriptedNote(config: AppConfig): string {
  const url = config.judge.providers.scripted.baseUrl;
  if (process.env.SETUP_JUDGE === 'started') return `   (SCRIPTED canned answers, served by setup on ${url}; stops with it)`;
  if (process.env.SETUP_JUDGE === 'reused') return `   (SCRIPTED canned answers, from the judge already on ${url})`;
  return '   (SCRIPTED canned answers: start `npm run judge:scripted`, or set a real provider, see .env)';
}

async function banner(config: AppConfig): Promise<string> {
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
  Project:      ${projectName ?? '(none: set INIT_PROJECT_NAME)'}${await keyCheck(config)}
  Judge:        ${config.judge.defaultModel}${scripted ? scriptedNote(config) : ''}

  Try it:  curl -s ${base}/projects/current -H "X-API-Key: ${apiKey ?? '<key>'}" -H "X-Project-Name: ${projectName ?? '<project>'}"
`;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const mode = process.argv[2];
  if (mode === '--addresses') console.log(addresses(config));
  else if (mode === '--banner') console.log(await banner(config));
  else await prepare(config);
}

main().catch(exitOnStartupError);
