import './config/dotenv';
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/env';
import { ApiKeysService } from './modules/auth/api-keys.service';
import { BootstrapService } from './modules/auth/bootstrap.service';
import { ProjectsService } from './modules/auth/projects.service';
import { createTenancyContext } from './tenancy-context';

const USAGE = `Usage: npm run cli -- create-api-key --org <organization name> --project <project name> [--name <label>] [--expiration never|90d] [--json]

Ensures the organization (by name) and the project exist, mints a new API key and prints it once.`;

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      org: { type: 'string' },
      project: { type: 'string' },
      name: { type: 'string', default: 'cli key' },
      expiration: { type: 'string', default: 'never' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || positionals[0] !== 'create-api-key' || !values.org || !values.project) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 64);
  }
  if (values.expiration !== 'never' && values.expiration !== '90d')
    throw new Error('--expiration must be never or 90d');

  const app = await createTenancyContext(loadConfig());
  try {
    const org = await app.get(BootstrapService).ensureOrganization(values.org);
    const project = await app.get(ProjectsService).ensureByName(org.id, values.project);
    const { key, rawKey } = await app.get(ApiKeysService).create(org.id, values.name, values.expiration);
    const result = {
      organization: org.name,
      org_id: org.id,
      project: project.name,
      project_id: project.id,
      key_id: key.id,
      api_key: rawKey,
    };
    if (values.json) console.log(JSON.stringify(result));
    else {
      console.log(`Organization: ${org.name} (${org.id})`);
      console.log(`Project:      ${project.name} (${project.id})`);
      console.log(`API key:      ${rawKey}`);
      console.log('Store it now: it is shown only once (only its SHA-256 hash is kept).');
    }
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err instanceof Error ? err.message : err);
  process.exit(1);
});
