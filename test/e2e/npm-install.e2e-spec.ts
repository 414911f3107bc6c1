import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

// semver (no types here) is what npm itself uses to read `engines`; it is in node_modules through the toolchain.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const semver = require('semver') as { satisfies(version: string, range: string, options: object): boolean };

const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);

/**
 * A newcomer's `npm ci` is quiet (issue 11): the project's .npmrc prints npm's errors, not its
 * warnings, because the only warnings it printed were EBADENGINE ones that do not apply (npm checks
 * engines against the Node it runs on; the project runs on the Node 24 of its `node` dev
 * dependency). These run npm as a newcomer would, on the machine's own Node (the project's
 * node_modules/.bin is taken off PATH), with --dry-run so nothing is installed.
 */
describe('npm ci on the machine’s Node', () => {
  const npmCi = async (...extra: string[]) => {
    const PATH = (process.env.PATH ?? '')
      .split(delimiter)
      .filter((dir) => !dir.startsWith(join(ROOT, 'node_modules')))
      .join(delimiter);
    const { stderr } = await run('npm', ['ci', '--dry-run', '--offline', '--no-audit', '--no-fund', ...extra], {
      cwd: ROOT,
      env: { ...process.env, PATH },
      maxBuffer: 16 * 1024 * 1024,
    });
    return stderr;
  };

  it('prints no warnings', async () => {
    expect((await npmCi()).split('\n').filter((line) => line.startsWith('npm warn'))).toEqual([]);
  });

  it('hides nothing real: with warnings shown, only EBADENGINE appears, for packages the pinned Node satisfies', async () => {
    const warnings = (await npmCi('--loglevel=warn')).split('\n').filter((line) => line.startsWith('npm warn'));
    expect(warnings.filter((line) => !line.startsWith('npm warn EBADENGINE'))).toEqual([]);
    const flagged = warnings.flatMap((line) => /^npm warn EBADENGINE\s+package: '(.+)@[^@]+',$/.exec(line)?.[1] ?? []);
    const pinned = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'node', 'package.json'), 'utf8')).version;
    const unsupported = flagged.filter((name) => {
      const range = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).engines?.node;
      return range && !semver.satisfies(pinned, range, { includePrerelease: true });
    });
    expect(unsupported).toEqual([]);
    // The tests themselves run on that pinned Node.
    expect(process.version).toBe(`v${pinned}`);
  });
});
