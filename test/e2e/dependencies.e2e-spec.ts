import { Logger } from '@nestjs/common';
import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { AddressInfo, createServer, connect, Server, Socket } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import { EVAL_RUNS_QUEUE } from '../../src/queue/queue.constants';
import { RedisWatch } from '../../src/queue/redis-watch';
import { buildTrace } from '../factories/trace.factory';
import { createTenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';
import { TEST_ENV } from '../support/test-env';
import { freePort } from '../support/ports';
import { MIGRATIONS } from '../../src/database/migrations';

const ROOT = join(__dirname, '..', '..');
const PG_URL = new URL(TEST_ENV.DATABASE_URL);
const REDIS_URL = new URL(TEST_ENV.REDIS_URL);

interface Exit {
  code: number | null;
  ms: number;
  stderr: string;
  stdout: string;
}

/** Runs one entry point of the built service with the test environment plus `env`. */
function start(entry: string, env: Record<string, string>): Promise<Exit> {
  const began = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [entry],
      { cwd: ROOT, env: { PATH: process.env.PATH, ...TEST_ENV, LOG_LEVEL: 'info', ...env }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? ((error as { code?: number }).code ?? null) : 0,
          ms: Date.now() - began,
          stdout,
          stderr,
        }),
    );
  });
}

const url = (base: URL, changes: { port?: number; pathname?: string }) => {
  const u = new URL(base);
  if (changes.port) u.port = String(changes.port);
  if (changes.pathname) u.pathname = changes.pathname;
  return u.toString();
};

describe('start-up fails fast and clearly on every dependency (API, worker, setup)', () => {
  const entries = { API: 'dist/src/main.js', worker: 'dist/src/worker.js', setup: 'dist/src/prepare.js' };
  const emptyDb = `pp_deps_empty_${randomBytes(3).toString('hex')}`;
  const admin = () => new Client({ connectionString: url(PG_URL, { pathname: '/postgres' }) });

  beforeAll(async () => {
    const c = admin();
    await c.connect();
    await c.query(`CREATE DATABASE ${emptyDb}`);
    await c.end();
  });
  afterAll(async () => {
    const c = admin();
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${emptyDb}`);
    await c.end();
  });

  /** One line, exit 69 (EX_UNAVAILABLE), well inside 15 s, and no stack trace. */
  const expectOneLine = (exit: Exit, ...parts: string[]) => {
    expect(exit.code).toBe(69);
    expect(exit.ms).toBeLessThan(15_000);
    const lines = exit.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    for (const part of parts) expect(lines[0]).toContain(part);
    expect(exit.stderr).not.toMatch(/\n\s+at /);
    expect(exit.stdout).toBe('');
  };

  it.each(Object.entries(entries))(
    '%s: Redis unreachable → names REDIS_URL, the address and the fix',
    async (_, entry) => {
      const port = await freePort();
      const exit = await start(entry, { REDIS_URL: `redis://127.0.0.1:${port}/0` });
      expectOneLine(
        exit,
        `Redis is unreachable at 127.0.0.1:${port}`,
        `REDIS_URL=redis://127.0.0.1:${port}/0`,
        'ECONNREFUSED',
        'Start Redis',
      );
    },
  );

  it.each(Object.entries(entries))(
    '%s: PostgreSQL unreachable → names DATABASE_URL, the address and the fix',
    async (_, entry) => {
      const port = await freePort();
      const exit = await start(entry, { DATABASE_URL: url(PG_URL, { port }) });
      expectOneLine(
        exit,
        `PostgreSQL is unreachable at 127.0.0.1:${port}`,
        'DATABASE_URL=postgresql://',
        'ECONNREFUSED',
        'npm run setup',
      );
    },
  );

  it.each(Object.entries(entries))(
    '%s: a Redis db index out of range → exit 78, one line naming REDIS_URL (not db 0 in silence)',
    async (_, entry) => {
      const exit = await start(entry, { REDIS_URL: url(REDIS_URL, { pathname: '/99' }) });
      expect(exit.code).toBe(78);
      const lines = exit.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('has no database 99 (REDIS_URL=redis://');
      expect(lines[0]).toContain('DB index is out of range');
      expect(exit.stdout).toBe('');
    },
  );

  it.each(Object.entries(entries))(
    '%s: PostgreSQL and Redis both unreachable → both reported, one line each',
    async (_, entry) => {
      const [pgPort, redisPort] = [await freePort(), await freePort()];
      const exit = await start(entry, {
        DATABASE_URL: url(PG_URL, { port: pgPort }),
        REDIS_URL: `redis://127.0.0.1:${redisPort}/0`,
      });
      expect(exit.code).toBe(69);
      const lines = exit.stderr.trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toContain(`PostgreSQL is unreachable at 127.0.0.1:${pgPort}`);
      expect(lines[1]).toContain(`Redis is unreachable at 127.0.0.1:${redisPort}`);
    },
  );

  it.each([
    ['API', entries.API],
    ['worker', entries.worker],
  ])('%s: missing database → says to run npm run setup', async (_, entry) => {
    const name = `pp_deps_missing_${randomBytes(3).toString('hex')}`;
    const exit = await start(entry, { DATABASE_URL: url(PG_URL, { pathname: `/${name}` }) });
    expectOneLine(exit, `has no database "${name}"`, 'DATABASE_URL=', '`npm run setup`');
  });

  it.each([
    ['API', entries.API],
    ['worker', entries.worker],
  ])('%s: migrations pending → says to run npm run migration:run', async (_, entry) => {
    const exit = await start(entry, { DATABASE_URL: url(PG_URL, { pathname: `/${emptyDb}` }) });
    expectOneLine(exit, `"${emptyDb}"`, 'pending migration(s)', '`npm run migration:run`');
  });

  it('setup (prepare.js) creates a missing database and migrates it instead of failing', async () => {
    const exit = await start(entries.setup, { DATABASE_URL: url(PG_URL, { pathname: `/${emptyDb}` }) });
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain(`applied ${MIGRATIONS.length} migration(s)`);
  });
});

/** A TCP proxy in front of the real Redis, so that "Redis goes away" is a deterministic step. */
class Outage {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async up(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(Number(REDIS_URL.port || 6379), REDIS_URL.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async down(): Promise<void> {
    const closed = new Promise((r) => this.server!.close(r));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

describe('Redis going away while running', () => {
  const outage = new Outage();
  let t: TestApp;
  let headers: Record<string, string>;
  let watch: RedisWatch;
  const logged: string[] = [];

  const until = async (what: string, check: () => Promise<boolean> | boolean) => {
    for (let i = 0; i < 300; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for: ${what}`);
  };

  beforeAll(async () => {
    await outage.up();
    t = await createTestApp({ REDIS_URL: `redis://127.0.0.1:${outage.port}${REDIS_URL.pathname}` });
    headers = (await createTenant(t)).headers;
    watch = t.app.get(RedisWatch);
    const logger = (watch as unknown as { logger: Logger }).logger;
    for (const level of ['error', 'warn', 'log'] as const)
      jest
        .spyOn(logger, level)
        .mockImplementation((...args: unknown[]) => void logged.push(`${level}: ${String(args[0])}`));
  });
  afterAll(async () => {
    await t?.close();
    await outage.down().catch(() => undefined);
  });

  it('up: /health/ready answers 200 with both dependencies up', async () => {
    const res = await t.http.get('/health/ready').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, redis: { status: 'up' } } });
  });

  it('down: /health/ready says 503 naming Redis; requests that need it get 503, not 500; one log line', async () => {
    const client = t.app.get<Queue>(getQueueToken(EVAL_RUNS_QUEUE)).client;
    let reconnectFailures = 0;
    client.on('error', () => (reconnectFailures += 1));
    await outage.down();
    await until('readiness to fail', async () => (await t.http.get('/health/ready')).status === 503);

    const ready = await t.http.get('/health/ready').expect(503);
    expect(ready.body.status).toBe('error');
    expect(ready.body.detail).toMatch(
      /^Not ready: redis is down \(Redis is unreachable at 127\.0\.0\.1:\d+ \(REDIS_URL=redis:/,
    );
    expect(ready.body.info).toEqual({ database: expect.objectContaining({ status: 'up' }) });
    expect(ready.body.error.redis.status).toBe('down');

    const ingest = await t.http.post('/traces').set(headers).send(buildTrace()).expect(503);
    expect(ingest.body.detail).toMatch(/^Redis is unreachable at 127\.0\.0\.1:\d+ .*Retry when it is back\.$/);
    await t.http.get('/traces').set(headers).expect(503);
    await t.http
      .post('/evaluations/trace-runs')
      .set(headers)
      .send({ metrics: ['confidence'] })
      .expect(503);
    // Liveness does not depend on Redis.
    await t.http.get('/health').expect(200);

    // Several reconnect attempts fail, yet the outage is logged once.
    await until('three failed reconnects', () => reconnectFailures >= 3);
    expect(logged.filter((l) => l.startsWith('error:'))).toHaveLength(1);
    expect(logged[0]).toMatch(/^error: Redis is unreachable at 127\.0\.0\.1:\d+ .*requests that need Redis get 503/);
  });

  it('back: readiness and requests recover, and the recovery is logged once', async () => {
    await outage.up();
    await until('readiness to recover', async () => (await t.http.get('/health/ready')).status === 200);
    await t.http.post('/traces').set(headers).send(buildTrace()).expect(202);
    expect(logged.filter((l) => l.startsWith('log:'))).toEqual([
      expect.stringMatching(/^log: Redis is reachable again/),
    ]);
    expect(logged.filter((l) => l.startsWith('error:'))).toHaveLength(1);
  });
});
