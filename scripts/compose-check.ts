import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * What no test can run here (no container engine), checked from the files: docker-compose.yml,
 * the Dockerfile and .dockerignore. `node dist/scripts/compose-check.js` prints the problems (exit 1)
 * or "compose: ok"; test/e2e/compose.e2e-spec.ts runs it in the suite.
 */
export interface ComposeFiles {
  compose: string;
  dockerignore: string;
}

type Service = {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string>;
  healthcheck?: { test?: string[] };
  depends_on?: Record<string, { condition?: string }>;
};

export function composeProblems(files: ComposeFiles): string[] {
  const problems: string[] = [];
  const services = (parse(files.compose) as { services: Record<string, Service> }).services;
  const app = ['migrate', 'api', 'worker'];

  // A fresh volume: the health check must go over TCP, or the init-time server's socket passes it.
  const pgCheck = services.postgres?.healthcheck?.test ?? [];
  if (!pgCheck.includes('pg_isready') || !pgCheck.includes('-h'))
    problems.push('postgres: the health check must be `pg_isready -h 127.0.0.1` (the socket answers during init)');

  const migrate = services.migrate ?? {};
  for (const dep of ['postgres', 'redis'])
    if (migrate.depends_on?.[dep]?.condition !== 'service_healthy')
      problems.push(`migrate: must wait for ${dep} to be healthy`);
  const command = [migrate.command ?? []].flat().join(' ');
  if (!/for .*prepare\.js.*69/.test(command))
    problems.push('migrate: must retry prepare.js while a dependency is unavailable (exit 69)');

  // One image, built once.
  const built = app.filter((name) => services[name]?.build !== undefined);
  const images = new Set(app.map((name) => services[name]?.image));
  if (built.length !== 1) problems.push(`one service must build the image, not ${built.length} (${built.join(', ')})`);
  if (images.size !== 1 || images.has(undefined)) problems.push('migrate, api and worker must run one named image');

  // The host's loopback judge (setup's .env) must not reach the containers.
  for (const name of app) {
    const env = services[name]?.environment ?? {};
    if (/\$\{SCRIPTED_JUDGE_URL\b/.test(env.SCRIPTED_JUDGE_URL ?? ''))
      problems.push(`${name}: SCRIPTED_JUDGE_URL must not come from the host's .env (its 127.0.0.1 is the host)`);
  }

  // A way to a key: INIT_API_KEY passed through, and said in the file's header.
  if (!/INIT_API_KEY/.test(JSON.stringify(migrate.environment ?? {})))
    problems.push('migrate: INIT_API_KEY must be passed (the first start creates the key)');
  if (!/create-api-key/.test(files.compose))
    problems.push('docker-compose.yml: say how to mint a key (create-api-key)');

  const ignored = files.dockerignore.split('\n').map((l) => l.trim());
  for (const entry of ['.env', 'node_modules'])
    if (!ignored.includes(entry)) problems.push(`.dockerignore: must exclude ${entry}`);
  return problems;
}

export function readComposeFiles(root: string): ComposeFiles {
  const read = (name: string) => {
    try {
      return readFileSync(join(root, name), 'utf8');
    } catch {
      return '';
    }
  };
  return { compose: read('docker-compose.yml'), dockerignore: read('.dockerignore') };
}

if (require.main === module) {
  const problems = composeProblems(readComposeFiles(join(__dirname, '..', '..')));
  for (const p of problems) console.error(p);
  console.log(problems.length ? `compose: ${problems.length} problem(s)` : 'compose: ok');
  process.exit(problems.length ? 1 : 0);
}
