import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TEST_ENV } from './test-env';

const ROOT = join(__dirname, '..', '..');
/**
 * The worker is compiled into its own folder inside the project (so that node_modules resolves),
 * away from dist/, which other suites may be rebuilding at the same moment; one folder per test run
 * (global teardown removes it), so two runs side by side never read each other's half-written files.
 */
export const OUT_DIR = join(ROOT, 'node_modules', '.cache', `pp-eval-worker-${TEST_ENV.PP_TEST_RUN_ID}`);
const WORKER_JS = join(OUT_DIR, 'src', 'worker.js');
const MAIN_JS = join(OUT_DIR, 'src', 'main.js');

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
  /** Resolves once the output has `count` lines matching `pattern`; rejects after `timeoutMs`. */
  waitForOutput(pattern: RegExp, count?: number, timeoutMs?: number): Promise<string[]>;
  /** Resolves once the process has exited. */
  readonly exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `node dist/src/worker.js` (Node 24, the test's own runtime) with the test environment plus `env`. */
export function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  return startBuilt(WORKER_JS, env);
}

/** Starts the built API entry (`dist/src/main.js`, e.g. with API_PROCESSES) the same way. */
export function startApiProcess(env: Record<string, string>): Promise<WorkerProcess> {
  return startBuilt(MAIN_JS, env);
}

async function startBuilt(script: string, env: Record<string, string>): Promise<WorkerProcess> {
  await buildWorker();
  const child = spawn(process.execPath, [script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...TEST_ENV, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  // 'close', not 'exit': it comes after the pipes are drained, so output() then holds the last lines.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    pid: child.pid!,
    output: () => out,
    waitForOutput(pattern: RegExp, count = 1, timeoutMs = 60_000) {
      const matches = () => out.split('\n').filter((l) => pattern.test(l));
      return new Promise<string[]>((resolve, reject) => {
        const check = () => {
          const found = matches();
          if (found.length < count) return;
          cleanup();
          resolve(found);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${count} × ${String(pattern)}; output:\n${out.slice(-4000)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          child.stderr!.off('data', check);
        };
        child.stdout!.on('data', check);
        child.stderr!.on('data', check);
        check();
      });
    },
    exited,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
