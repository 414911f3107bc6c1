import './config/dotenv';
import 'reflect-metadata';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from './config/env';
import { buildDataSourceOptions } from './database/data-source-options';
import { BootstrapService } from './modules/auth/bootstrap.service';
import { createTenancyContext } from './tenancy-context';

/**
 * Creates the configured database when it does not exist, applies pending migrations, and runs the
 * INIT_* bootstrap (organization, project, API key, owner) so the printed key works at once.
 */
async function main(): Promise<void> {
  const config = loadConfig();
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

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
