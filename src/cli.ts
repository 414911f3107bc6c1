import './config/dotenv';
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { isUUID } from 'class-validator';
import { ConfigError, loadConfig } from './config/env';
import { ApiKeysService } from './modules/auth/api-keys.service';
import { BootstrapService, OperatorLookupError } from './modules/auth/bootstrap.service';
import { createTenancyContext } from './tenancy-context';

const USAGE = `Usage: npm run cli -- create-api-key (--org-id <uuid> | --org <name>) --project <name>
         [--create-org] [--create-project] [--user <operator subject>] [--name <label>] [--expiration never|90d] [--json]

Mints a new API key for an organization and prints it once, with the project it will use.
  --org-id          the organization, by id (prefer this: organization names are not unique)
  --org             the organization, by name: only organizations with no member or with the operator
                    (--user, default INIT_USER_EXTERNAL_ID) as a member count; several matches are refused
  --create-org      create the organization named by --org when there is none (and say so)
  --create-project  create the project when the organization has none of that name (and say so)`;

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      org: { type: 'string' },
      'org-id': { type: 'string' },
      project: { type: 'string' },
      user: { type: 'string' },
      'create-org': { type: 'boolean', default: false },
      'create-project': { type: 'boolean', default: false },
      name: { type: 'string', default: 'cli key' },
      expiration: { type: 'string', default: 'never' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const byId = values['org-id'];
  if (values.help || positionals[0] !== 'create-api-key' || !values.project || !byId === !values.org) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 64);
  }
  if (values.expiration !== 'never' && values.expiration !== '90d')
    throw new Error('--expiration must be never or 90d');

  if (byId && !isUUID(byId)) throw new OperatorLookupError('--org-id must be a UUID.');
  if (values['create-org'] && byId) throw new OperatorLookupError('--create-org goes with --org <name>, not --org-id.');

  const config = loadConfig();
  const app = await createTenancyContext(config);
  try {
    const tools = app.get(BootstrapService);
    const operatorExternalId = values.user ?? config.init.userExternalId;
    const byName = (create: boolean) =>
      tools.resolveOrganization(values.org!, { operatorExternalId, create, createFlag: '--create-org' });
    const { org, created: orgCreated } = byId
      ? { org: await tools.organizationById(byId), created: false }
      : await byName(false).catch((error: unknown) => {
          if (!(error instanceof OperatorLookupError) || !values['create-org']) throw error;
          // Create nothing that the command would then fail to use.
          if (!values['create-project']) {
            throw new OperatorLookupError(
              `A new organization would have no project '${values.project}': pass --create-project too.`,
            );
          }
          return byName(true);
        });
    const { project, created: projectCreated } = await tools.resolveProject(org.id, values.project, {
      create: values['create-project'],
      createFlag: '--create-project',
    });
    const { key, rawKey } = await app.get(ApiKeysService).create(org.id, values.name, values.expiration);
    const result = {
      organization: org.name,
      org_id: org.id,
      project: project.name,
      project_id: project.id,
      key_id: key.id,
      api_key: rawKey,
      created: [...(orgCreated ? ['organization'] : []), ...(projectCreated ? ['project'] : [])],
    };
    if (values.json) console.log(JSON.stringify(result));
    else {
      if (orgCreated) console.log(`Created organization '${org.name}' (--create-org).`);
      if (projectCreated) console.log(`Created project '${project.name}' (--create-project).`);
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
  process.exit(err instanceof OperatorLookupError ? 65 : 1); // EX_DATAERR: the operator's input matched nothing or too much
});
