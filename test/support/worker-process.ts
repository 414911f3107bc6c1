import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TEST_ENV } from './test-env';

const ROOT = join(__dirname, '..', '..');
/**
 * The worker is compiled into its own folder inside the project (so that node_modules resolves),
 * away from dist/, which other suites may be rebuilding at the same moment.
 */
const OUT_DIR = join(ROOT, 'node_modules', '.cache', 'pp-eval-worker');
const WORKER_JS = join(OUT_DIR, 'src', 'worker.js');

let built: Promise<void> | undefined;

/** Compiles the project once per test process (tsc; type errors elsewhere do not block the emit). */
export function buildWorker(): Promise<void> {
  built ??= (async () => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    try {
      await promisify(execFile)(
        process.execPath,
        [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', OUT_DIR, '--incremental', 'false'],
        {
          cwd: ROOT,
          maxBuffer: 64 * 1024 * 1024,
        },
      );
    } catch (error) {
      // tsc exits non-zero on type errors but still emits; only a missing output is fatal.
      if (!existsSync(WORKER_JS)) throw error;
    }
  })();
  return built;
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything the worker printed (JSON logs). */
  output(): string;
  /** Resolves once the process has exited. */
  readonly exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `node dist/src/worker.js` (Node 24, the test's own runtime) with the test environment plus `env`. */
export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  await buildWorker();
  const child = spawn(process.execPath, [WORKER_JS], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...TEST_ENV, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    pid: child.pid!,
    output: () => out,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
