import { ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConfigError, loadConfig } from '../../src/config/env';
import { identityToken } from '../support/identity';
import { freePort } from '../support/ports';
import { createTenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';
import { TEST_ENV } from '../support/test-env';
import { buildTraceTree } from '../factories/trace.factory';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const DEV = { NODE_ENV: 'development', AUTH_ENABLED: 'false' };

/** AUTH_ENABLED=false: only in development, only on 127.0.0.1, and requests without credentials act as one local user. */
describe('identity: development mode without credentials', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ ...DEV, RATE_LIMIT_DEFAULT: '100000', RATE_LIMIT_INGEST: '0' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers GET /me without credentials as the local user, who gets "My Organization" with its onboarding project', async () => {
    const me = await t.http.get('/me').expect(200);
    expect(me.body).toMatchObject({ email: 'dev@localhost', display_name: 'Local Developer' });
    expect((await t.http.get('/me').expect(200)).body.id).toBe(me.body.id);
    const orgs = await t.http.get('/organizations').expect(200);
    expect(orgs.body).toEqual([expect.objectContaining({ name: 'My Organization', role: 'OWNER' })]);
    const projects = await t.http.get(`/organizations/${orgs.body[0].id}/projects`).expect(200);
    expect(projects.body.map((p: { name: string }) => p.name)).toEqual(['onboarding']);
  });

  it('the data plane too: X-Project-ID without credentials, as the dashboard’s public build sends it', async () => {
    const [org] = (await t.http.get('/organizations').expect(200)).body;
    const [project] = (await t.http.get(`/organizations/${org.id}/projects`).expect(200)).body;
    const trace = buildTraceTree(2);
    await t.http.post('/traces').set({ 'X-Project-ID': project.id }).send(trace).expect(202);
    const list = await t.http
      .get('/traces')
      .set({ 'X-Project-ID': project.id, 'X-Organization-ID': org.id })
      .expect(200);
    expect(JSON.stringify(list.body)).toContain(trace.trace_id);
  });

  it('still checks X-Organization-ID, and still verifies credentials that are sent', async () => {
    const [org] = (await t.http.get('/organizations').expect(200)).body;
    const other = await createTenant(t);
    await t.http.get('/me').set('X-Organization-ID', org.id).expect(200);
    expect((await t.http.get('/me').set('X-Organization-ID', other.orgId).expect(401)).body).toEqual({
      detail: 'You are not a member of the specified organization.',
    });
    await t.http.get('/me').set('X-Organization-ID', 'dev').expect(422);
    // A Bearer token or an API key is checked as always: a bad one is not the local user.
    await t.http.get('/me').set('Authorization', 'Bearer not-a-token').expect(401);
    await t.http.get('/traces').set({ 'X-API-Key': 'sk_pp_bad', 'X-Project-Name': 'x' }).expect(401);
    await t.http.get('/traces').set(other.headers).expect(200);
    const token = identityToken(t, { sub: 'someone-else', email: 'someone@example.com' });
    const someone = await t.http.get('/me').set('Authorization', `Bearer ${token}`).expect(200);
    expect(someone.body.email).toBe('someone@example.com');
  });

  it('is refused outside development: NODE_ENV=test or production stops the configuration', () => {
    for (const env of ['production', 'test']) {
      let error: unknown;
      try {
        loadConfig({ NODE_ENV: env, AUTH_ENABLED: 'false' });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(
        /^Invalid configuration: AUTH_ENABLED: false is only allowed with NODE_ENV=development/,
      );
    }
    expect(loadConfig({ NODE_ENV: 'production', AUTH_ENABLED: 'true' }).auth.enabled).toBe(true);
  });

  it('the API process in production with AUTH_ENABLED=false exits 78 with one line', async () => {
    const failure = await run(process.execPath, ['dist/src/main.js'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        AUTH_ENABLED: 'false',
        DOTENV_CONFIG_PATH: '/nonexistent',
      },
    }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failure?.code).toBe(78);
    const lines = failure!.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('AUTH_ENABLED');
  });

  it('the API process in development mode listens on 127.0.0.1 only, and answers GET /me there', async () => {
    const port = await freePort();
    let child: ChildProcess | undefined;
    try {
      child = spawn(process.execPath, ['dist/src/main.js'], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          ...TEST_ENV,
          ...DEV,
          PORT: String(port),
          LOG_LEVEL: 'info',
          DOTENV_CONFIG_PATH: '/nonexistent',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const deadline = Date.now() + 30_000;
      while (!out.includes('API listening') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(out).toContain('listening on 127.0.0.1 only');
      const get = (host: string) =>
        new Promise<number>((resolve, reject) => {
          const req = request({ host, port, path: '/me', timeout: 3000 }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on('error', reject);
          req.end();
        });
      expect(await get('127.0.0.1')).toBe(200);
      const external = Object.values(networkInterfaces())
        .flat()
        .filter((a) => a && a.family === 'IPv4' && !a.internal)
        .map((a) => a!.address);
      for (const address of external) {
        await expect(get(address)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      }
    } finally {
      if (child && child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    }
  }, 60_000);
});
