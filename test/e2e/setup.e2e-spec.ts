import { ChildProcess, execFile, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { scopedPrefix, TEST_ENV } from '../support/test-env';
import { freePort } from '../support/ports';
import { MIGRATIONS } from '../../src/database/migrations';

const ROOT = join(__dirname, '..', '..');
const PG_URL = new URL(TEST_ENV.DATABASE_URL);
const dbUrl = (name: string) => Object.assign(new URL(PG_URL), { pathname: `/${name}` }).toString();

/**
 * `npm run setup` in a copy of the project (its own .env, the installed node_modules linked), with
 * DATABASE_URL in the environment and another one in .env: the environment must win everywhere,
 * as it does in the service, and the key and URLs come last, once the API listens.
 */
describe('npm run setup with DATABASE_URL in the environment', () => {
  const suffix = randomBytes(3).toString('hex');
  const envDb = `pp_setup_env_${suffix}`;
  const dotenvDb = `pp_setup_dotenv_${suffix}`;
  const apiKey = `sk_pp_${randomBytes(32).toString('hex')}`;
  const adminToken = randomBytes(16).toString('hex');
  let dir: string;
  let child: ChildProcess;
  let port: number;
  let judgePort: number;
  let stdout = '';
  let stderr = '';

  const admin = async <T>(work: (c: Client) => Promise<T>): Promise<T> => {
    const c = new Client({ connectionString: dbUrl('postgres') });
    await c.connect();
    try {
      return await work(c);
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pp-setup-'));
    const copy = (p: string) => cpSync(join(ROOT, p), join(dir, p), { recursive: true, preserveTimestamps: true });
    for (const p of ['package.json', 'package-lock.json', '.env.example', 'tsconfig.json', 'tsconfig.build.json'])
      copy(p);
    copy('tsconfig.tools.json');
    for (const p of ['ormconfig.ts', 'scripts', 'src', 'dist', 'bench', 'test/support', 'test/factories']) copy(p);
    // node_modules: the installed packages, linked one by one (so nothing here can touch them).
    mkdirSync(join(dir, 'node_modules'));
    for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
      if (entry === '.package-lock.json') copy('node_modules/.package-lock.json');
      else symlinkSync(join(ROOT, 'node_modules', entry), join(dir, 'node_modules', entry));
    }
    const dotenv = readFileSync(join(ROOT, '.env.example'), 'utf8')
      .replace(/^DATABASE_URL=.*$/m, `DATABASE_URL=${dbUrl(dotenvDb)}`)
      .replace(/^INIT_API_KEY=.*$/m, `INIT_API_KEY=${apiKey}`)
      .replace(/^JWT_SECRET=.*$/m, `JWT_SECRET=${randomBytes(32).toString('hex')}`)
      .replace(/^ADMIN_TOKEN=.*$/m, `ADMIN_TOKEN=${adminToken}`);
    writeFileSync(join(dir, '.env'), dotenv);

    port = await freePort();
    judgePort = await freePort();
    child = spawn('bash', ['scripts/setup.sh'], {
      cwd: dir,
      detached: true,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATABASE_URL: dbUrl(envDb),
        REDIS_URL: TEST_ENV.REDIS_URL,
        PORT: String(port),
        QUEUE_PREFIX: scopedPrefix('setup'),
        // The .env's scripted judge, on a port of this test's own (4010 may be taken on a shared machine).
        SCRIPTED_JUDGE_URL: `http://127.0.0.1:${judgePort}/v1`,
      },
    });
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    const bannerShown = (async () => {
      while (!stdout.includes('Try it:')) await new Promise((r) => setTimeout(r, 200));
    })();
    const winner = await Promise.race([bannerShown.then(() => 'banner'), exited.then((code) => `exit ${code}`)]);
    if (winner !== 'banner') throw new Error(`setup ended (${winner}):\n${stdout}\n${stderr}`);
  }, 600_000);

  afterAll(async () => {
    if (child?.pid && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid, 'SIGTERM');
      await exited;
    }
    await admin(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${envDb} WITH (FORCE)`);
      await c.query(`DROP DATABASE IF EXISTS ${dotenvDb} WITH (FORCE)`);
    });
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('migrates the database named in the environment, and never creates the one in .env', async () => {
    const names = await admin(
      async (c) => (await c.query('SELECT datname FROM pg_database WHERE datname = ANY($1)', [[envDb, dotenvDb]])).rows,
    );
    expect(names).toEqual([{ datname: envDb }]);
    const c = new Client({ connectionString: dbUrl(envDb) });
    await c.connect();
    try {
      expect((await c.query('SELECT count(*)::int AS n FROM migrations')).rows[0].n).toBe(MIGRATIONS.length);
      expect((await c.query(`SELECT name FROM organizations`)).rows).toEqual([{ name: 'Demo' }]);
    } finally {
      await c.end();
    }
  });

  it('runs the API on that same database: the printed key works', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/projects/current`, {
      headers: { 'X-API-Key': apiKey, 'X-Project-Name': 'demo' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: 'demo' });
  });

  it('prints the key, the URLs and how to open Bull Board in a browser last, after the start-up logs', () => {
    const banner = stdout.indexOf('  API key:');
    expect(banner).toBeGreaterThan(stdout.indexOf('API listening on port'));
    expect(stdout.indexOf('API listening on port')).toBeGreaterThan(-1);
    const tail = stdout.slice(stdout.indexOf(`  API:          http://localhost:${port}`));
    expect(tail).toContain(`API key:      ${apiKey}`);
    expect(tail).toContain(`Bull Board:   http://localhost:${port}/admin/queues`);
    expect(tail).toContain(`in a browser: any user name, password = ADMIN_TOKEN (${adminToken})`);
    expect(tail).toContain(
      `Judge:        scripted/canned-judge   (SCRIPTED canned answers, served by setup on http://127.0.0.1:${judgePort}/v1; stops with it)`,
    );
    expect(tail).toContain("Key check:    OK; project 'demo' exists");
    expect(stderr).not.toMatch(/EBADENGINE/);
  });

  it("starts the scripted judge its .env configures: the README's first trace and first run end green", async () => {
    const base = `http://127.0.0.1:${port}`;
    const headers = { 'X-API-Key': apiKey, 'X-Project-Name': 'demo', 'Content-Type': 'application/json' };
    const trace = await fetch(`${base}/traces`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: 'support-turn',
        started_at: '2026-11-27T10:00:00Z',
        ended_at: '2026-11-27T10:00:02Z',
        input: { messages: [{ role: 'user', content: 'Where is my order 1234?' }] },
        output: { messages: [{ role: 'assistant', content: 'It ships tomorrow.' }] },
      }),
    });
    expect(trace.status).toBe(202);
    const created = await fetch(`${base}/evaluations/trace-runs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: 'nightly',
        metrics: ['task_completion', 'coherence'],
        filters: { date_from: '2026-11-01' },
      }),
    });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    let run: { status: string; failed_count: number; succeeded_count: number } | undefined;
    for (let i = 0; i < 600 && !['COMPLETED', 'FAILED', 'CANCELLED'].includes(run?.status ?? ''); i++) {
      await new Promise((r) => setTimeout(r, 200));
      run = (await (await fetch(`${base}/evaluations/trace-runs/${id}`, { headers })).json()) as typeof run;
    }
    expect(run).toMatchObject({ status: 'COMPLETED', failed_count: 0, succeeded_count: 2 });
  }, 150_000);

  it('stops the API, the worker and the judge when setup alone gets SIGTERM (a supervisor, timeout, kill)', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    process.kill(child.pid!, 'SIGTERM'); // the script only, not its process group
    expect(await exited).toBe(143);
    const listening = async (p: number) => {
      for (let i = 0; i < 50; i++) {
        const open = await fetch(`http://127.0.0.1:${p}/`).then(
          () => true,
          () => false,
        );
        if (!open) return false;
        await new Promise((r) => setTimeout(r, 200));
      }
      return true;
    };
    expect(await listening(port)).toBe(false);
    expect(await listening(judgePort)).toBe(false);
    // Nothing of the group is left (the worker has no port to check).
    expect(() => process.kill(-child.pid!, 0)).toThrow();
  }, 60_000);

  it('refuses a taken port before starting anything, in one line', async () => {
    const taken = createServer((_, res) => res.end('someone else'));
    const takenPort = await freePort();
    await new Promise<void>((r) => taken.listen(takenPort, '127.0.0.1', r));
    try {
      const result = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        execFile(
          'bash',
          ['scripts/setup.sh'],
          {
            cwd: dir,
            timeout: 540_000,
            env: {
              PATH: process.env.PATH,
              HOME: process.env.HOME,
              DATABASE_URL: dbUrl(envDb),
              REDIS_URL: TEST_ENV.REDIS_URL,
              PORT: String(takenPort),
              QUEUE_PREFIX: scopedPrefix('setup'),
            },
          },
          (error, out, err) => resolve({ code: error ? Number(error.code) : 0, out, err }),
        );
      });
      expect(result.code).toBe(1);
      expect(result.err.trim().split('\n')).toEqual([
        `Port ${takenPort} is already in use (PORT=${takenPort}): stop what listens there, or run PORT=<free port> npm run setup. Nothing was started.`,
      ]);
      expect(result.out).not.toContain('API key:');
      expect(result.out).not.toContain('worker started');
    } finally {
      await new Promise((r) => taken.close(r));
    }
  }, 600_000);
});
