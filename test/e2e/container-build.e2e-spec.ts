import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

/**
 * No container engine runs here, so the image's build stage is replayed by hand: exactly the files
 * the Dockerfile COPYs go into an empty folder, and the stage's build command runs there. The
 * `npm ci` layer is stood in for by a link to the installed node_modules (same lockfile), and
 * `npm prune --omit=dev` is checked instead of run (it would prune the shared node_modules): every
 * package the built code requires must be a production dependency.
 */
interface BuildStage {
  copies: { sources: string[]; dest: string }[];
  runs: string[];
  finalCopies: string[];
  cmd: string[];
}

function parseDockerfile(text: string): BuildStage {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: string[][] = [];
  for (const line of lines) {
    if (line.startsWith('FROM ')) stages.push([]);
    stages[stages.length - 1].push(line);
  }
  const [build, final] = stages;
  const copies = build
    .filter((l) => l.startsWith('COPY '))
    .map((l) => {
      const parts = l.slice(5).trim().split(/\s+/);
      return { sources: parts.slice(0, -1), dest: parts[parts.length - 1] };
    });
  const runs = build.filter((l) => l.startsWith('RUN ')).map((l) => l.slice(4).trim());
  const finalCopies = final.filter((l) => l.startsWith('COPY ')).map((l) => l.slice(5).trim());
  const cmdLine = final.find((l) => l.startsWith('CMD '))!;
  return { copies, runs, finalCopies, cmd: JSON.parse(cmdLine.slice(4)) };
}

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => join(e.parentPath, e.name));
}

const packageOf = (specifier: string) =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];

describe('container image build (from exactly what the Dockerfile copies)', () => {
  const stage = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  let dir: string;
  let dist: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pp-image-'));
    for (const { sources, dest } of stage.copies) {
      for (const source of sources) {
        const target = dest.endsWith('/') || sources.length > 1 ? join(dir, dest, source) : join(dir, dest);
        cpSync(join(ROOT, source), target, { recursive: true });
      }
    }
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    dist = join(dir, 'dist');
  }, 60_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the build stage is: npm ci, copy the sources, build and prune', () => {
    expect(stage.runs).toEqual(['npm ci --no-audit --no-fund', 'npm run build && npm prune --omit=dev']);
    expect(stage.copies[0]).toEqual({ sources: ['package.json', 'package-lock.json'], dest: './' });
  });

  it('the build command succeeds in a folder holding only the copied inputs', async () => {
    const build = stage.runs[1].split(' && ')[0];
    expect(build).toBe('npm run build');
    const [cmd, ...args] = build.split(' ');
    const { PATH, HOME } = process.env;
    await run(cmd, args, { cwd: dir, env: { PATH, HOME }, maxBuffer: 16 * 1024 * 1024 });
    for (const entry of ['dist/src/main.js', 'dist/src/worker.js', 'dist/src/prepare.js', 'dist/src/cli.js']) {
      expect(existsSync(join(dir, entry))).toBe(true);
    }
    expect(existsSync(join(dir, 'dist/ormconfig.js'))).toBe(true);
  }, 120_000);

  it('ships no test code: no test, scripts or bench folders, no spec files, nothing requires them', () => {
    expect(readdirSync(dist).filter((name) => !name.endsWith('.tsbuildinfo'))).toEqual(
      expect.not.arrayContaining(['test', 'scripts', 'bench']),
    );
    const files = jsFiles(dist);
    expect(files.length).toBeGreaterThan(50);
    expect(files.filter((f) => /\.(e2e-)?spec\.js$/.test(f)).map((f) => relative(dist, f))).toEqual([]);
    const outside: string[] = [];
    for (const file of files) {
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/require\("(\.[^"]+)"\)/g)) {
        const target = resolve(dirname(file), spec);
        if (relative(dist, target).startsWith('..')) outside.push(`${relative(dist, file)} → ${spec}`);
      }
    }
    expect(outside).toEqual([]);
  });

  it('after `npm prune --omit=dev` everything the code requires is still there (production dependencies only)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const production = new Set(Object.keys(pkg.dependencies));
    const builtins = new Set(builtinModules);
    const missing = new Set<string>();
    for (const file of jsFiles(dist)) {
      const text = readFileSync(file, 'utf8');
      for (const [, spec] of text.matchAll(/(?:require|import)\("([^".][^"]*)"\)/g)) {
        if (spec.startsWith('node:') || builtins.has(spec)) continue;
        if (!production.has(packageOf(spec))) missing.add(`${packageOf(spec)} (${relative(dist, file)})`);
      }
    }
    expect([...missing]).toEqual([]);
  });

  it('the final stage runs what the build produced (the compose commands too)', () => {
    expect(stage.finalCopies).toEqual(
      expect.arrayContaining(['--from=build /app/node_modules ./node_modules', '--from=build /app/dist ./dist']),
    );
    const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    // Every script node runs (api, worker, and migrate's retry loop), after node's flags (the heap settings).
    const commands = [...compose.matchAll(/node"?,? (?:"?--[^\s"]+"?,? )*"?(dist\/[^\s"]+\.js)/g)].map((m) => m[1]);
    expect(commands.length).toBeGreaterThanOrEqual(3);
    for (const entry of [stage.cmd[stage.cmd.length - 1], ...commands]) expect(existsSync(join(dir, entry))).toBe(true);
  });
});
