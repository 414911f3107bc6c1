import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { composeProblems, readComposeFiles } from '../../scripts/compose-check';

const ROOT = join(__dirname, '..', '..');

/** The compose setup, checked from its files (scripts/compose-check.ts; no container engine here). */
describe('docker compose, checked statically', () => {
  const files = readComposeFiles(ROOT);

  it('has no problems: TCP health check, migrate waits and retries, one image, no host judge, a key, .dockerignore', () => {
    expect(composeProblems(files)).toEqual([]);
  });

  it('finds each problem the issue named, in a compose file that has it', () => {
    const before = files.compose
      .replace('["CMD", "pg_isready", "-h", "127.0.0.1", "-U", "postgres"]', '["CMD", "pg_isready", "-U", "postgres"]')
      .replace('${COMPOSE_SCRIPTED_JUDGE_URL:-}', '${SCRIPTED_JUDGE_URL:-}')
      .replace(/ {2}api:\n {4}image: pandaprobe-eval:local\n/, '  api:\n    build: .\n');
    expect(composeProblems({ compose: before, dockerignore: '' })).toEqual([
      'postgres: the health check must be `pg_isready -h 127.0.0.1` (the socket answers during init)',
      'one service must build the image, not 2 (migrate, api)',
      'migrate, api and worker must run one named image',
      "migrate: SCRIPTED_JUDGE_URL must not come from the host's .env (its 127.0.0.1 is the host)",
      "api: SCRIPTED_JUDGE_URL must not come from the host's .env (its 127.0.0.1 is the host)",
      "worker: SCRIPTED_JUDGE_URL must not come from the host's .env (its 127.0.0.1 is the host)",
      '.dockerignore: must exclude .env',
      '.dockerignore: must exclude node_modules',
    ]);
  });

  it('runs as a script from the build (node dist/scripts/compose-check.js)', () => {
    expect(execFileSync(process.execPath, ['dist/scripts/compose-check.js'], { cwd: ROOT }).toString()).toBe(
      'compose: ok\n',
    );
  });
});
