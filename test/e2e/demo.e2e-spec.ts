import { ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { evalRunTestEnv } from '../factories/eval-run.factory';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';
import { freePort } from '../support/ports';

const ROOT = join(__dirname, '..', '..');

/** `npm run demo` while `npm run judge:scripted` already listens on the demo's port. */
describe('npm run demo with the scripted judge already running', () => {
  let judge: ChildProcess;
  let judgeUrl: string;
  let t: TestApp;
  let tenant: Tenant;

  beforeAll(async () => {
    const port = await freePort();
    judgeUrl = `http://127.0.0.1:${port}/v1`;
    judge = spawn(process.execPath, ['dist/scripts/scripted-judge.js'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, DOTENV_CONFIG_PATH: '/dev/null', SCRIPTED_JUDGE_PORT: String(port), SCRIPTED_JUDGE_LATENCY_MS: '0' },
    });
    let out = '';
    judge.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    while (!out.includes('scripted judge listening')) {
      if (judge.exitCode !== null) throw new Error(`judge:scripted exited ${judge.exitCode}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    t = await createTestApp({
      ...evalRunTestEnv('', 'demo', { RUN_WORKER_IN_PROCESS: 'true' }),
      OPENAI_API_KEY: '',
      OPENAI_BASE_URL: '',
      SCRIPTED_JUDGE_URL: judgeUrl,
    });
    tenant = await createTenant(t);
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    if (judge && judge.exitCode === null) {
      const exited = new Promise((r) => judge.once('exit', r));
      judge.kill('SIGTERM');
      await exited;
    }
  });

  it('reuses the judge instead of crashing, finishes its run and names the judge scripted/...', async () => {
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        ['dist/scripts/demo.js'],
        {
          cwd: ROOT,
          timeout: 180_000,
          env: {
            PATH: process.env.PATH,
            DOTENV_CONFIG_PATH: '/dev/null',
            PANDAPROBE_ENDPOINT: t.baseUrl,
            PANDAPROBE_API_KEY: tenant.apiKey,
            PANDAPROBE_PROJECT_NAME: tenant.projectName,
            DEMO_JUDGE_PORT: new URL(judgeUrl).port,
            SCRIPTED_JUDGE_URL: judgeUrl,
          },
        },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      ),
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`judge already listening on ${judgeUrl} (npm run judge:scripted): reusing it`);
    expect(result.stdout).toMatch(/judge model scripted\/demo-judge/);
    expect(result.stdout).toContain('COMPLETED');
    expect(result.stdout).not.toMatch(/EADDRINUSE|FAILED/);
    expect(result.code).toBe(0);
  }, 200_000);
});
