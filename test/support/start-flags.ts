import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The project's package.json: the first one above this file (in test/ or, built, in dist/test/). */
function packageJson(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'package.json');
  }
  throw new Error('package.json not found');
}

/**
 * The node flags an npm start script passes before its entry file (`node --x=1 dist/src/main.js`),
 * so tests and benches run the processes with the heap settings the deployment uses.
 */
export function startScriptNodeFlags(script: 'start' | 'start:worker'): string[] {
  const entry = script === 'start' ? 'dist/src/main.js' : 'dist/src/worker.js';
  const pkg = JSON.parse(readFileSync(packageJson(), 'utf8')) as { scripts: Record<string, string> };
  const command = pkg.scripts[script];
  const at = command.indexOf(entry);
  if (!command.startsWith('node ') || at < 0) throw new Error(`npm script ${script} is not "node [flags] ${entry}"`);
  return command.slice('node '.length, at).split(' ').filter(Boolean);
}
