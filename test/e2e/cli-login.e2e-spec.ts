/**
 * `pandaprobe auth login` against the server, following the real CLI's wire sequence as its Go
 * source (chirpz-ai/pandaprobe-cli, internal/auth and internal/api) performs it: a loopback server on
 * 127.0.0.1:<ephemeral>/callback, a 32-byte state and code_verifier (unpadded base64url), the S256
 * challenge, the /cli-login URL with port, state, code_challenge, code_challenge_method and label;
 * then, once the browser lands on the callback with the code and the same state, POST
 * /cli/auth/exchange with the CLI's headers (an EMPTY X-API-Key and X-Project-Name included).
 *
 * The CLI binary itself is not run here: CI cannot get the CLI's source. The real CLI was run
 * through the same login with `npm run check:cli-login -- --cli <binary>` (scripts/cli/login-check.ts;
 * built from Debian's Go 1.25 and Go library packages, docs/cli-login.md "The real CLI, run"). The
 * browser step (the dashboard's /cli-login page) is simulated with the two calls that page makes:
 * POST /cli/auth/codes with the user's Bearer token, then a redirect to the loopback callback.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { ApiKeyEntity } from '../../src/modules/auth/entities/api-key.entity';
import { MembershipRole } from '../../src/modules/auth/entities/membership.entity';
import { CliAuthClock } from '../../src/modules/cli-auth/cli-auth-clock';
import { createMember, createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

const b64url = (buf: Buffer) => buf.toString('base64url');
const challengeOf = (verifier: string) => b64url(createHash('sha256').update(verifier).digest());

/** The CLI's loopback callback server: resolves with the code once a callback carries the right state. */
async function loopback(state: string): Promise<{ port: number; code: Promise<string>; server: Server }> {
  let deliver!: (code: string) => void;
  let fail!: (err: Error) => void;
  const code = new Promise<string>((resolve, reject) => ((deliver = resolve), (fail = reject)));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') return void res.writeHead(404).end();
    if (url.searchParams.get('state') !== state) {
      res.writeHead(400).end('state mismatch');
      return fail(new Error('state mismatch on callback'));
    }
    const got = url.searchParams.get('code');
    if (!got) return void res.writeHead(400).end('no code');
    res.writeHead(200, { 'content-type': 'text/html' }).end('Logged in');
    deliver(got);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, code, server };
}

/** The headers the CLI's HTTP client puts on every request, with no key configured yet. */
const cliHeaders = () => ({
  Accept: 'application/json',
  'User-Agent': 'pandaprobe-cli/dev',
  'X-Request-ID': randomUUID(),
  'X-API-Key': '',
  'X-Project-Name': '',
  'Content-Type': 'application/json',
});

describe('CLI login: PKCE codes and the exchange', () => {
  let t: TestApp;
  let tenant: Tenant;
  let user: Awaited<ReturnType<typeof createMember>>;

  beforeAll(async () => {
    t = await createTestApp({ QUEUE_PREFIX: `cl${randomBytes(3).toString('hex')}` });
    tenant = await createTenant(t);
    user = await createMember(t, tenant, MembershipRole.MEMBER);
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  const bearer = () => ({ Authorization: user.headers.Authorization });
  const newVerifier = () => b64url(randomBytes(32));
  const codeFor = (verifier: string, extra: Record<string, unknown> = {}) =>
    t.http
      .post('/cli/auth/codes')
      .set(bearer())
      .send({
        org_id: tenant.orgId,
        project_id: tenant.projectId,
        code_challenge: challengeOf(verifier),
        code_challenge_method: 'S256',
        label: 'build-box',
        expires_days: 90,
        ...extra,
      });
  const exchange = (code: string, verifier: string) =>
    t.http.post('/cli/auth/exchange').set(cliHeaders()).send({ code, code_verifier: verifier });

  it("completes the CLI's login: loopback callback, state, code, verifier, label → a 90-day key that works", async () => {
    // CLI: state, verifier, challenge, loopback server, login URL.
    const state = b64url(randomBytes(32));
    const verifier = newVerifier();
    const cb = await loopback(state);
    try {
      const loginUrl = new URL('http://127.0.0.1:3000/cli-login');
      for (const [k, v] of Object.entries({
        port: String(cb.port),
        state,
        code_challenge: challengeOf(verifier),
        code_challenge_method: 'S256',
        label: 'build-box',
        cli_version: 'dev',
      }))
        loginUrl.searchParams.set(k, v);

      // Browser (the dashboard's /cli-login page): the signed-in user authorizes, then is redirected.
      const q = loginUrl.searchParams;
      const issued = await t.http
        .post('/cli/auth/codes')
        .set(bearer())
        .send({
          org_id: tenant.orgId,
          project_id: tenant.projectId,
          code_challenge: q.get('code_challenge'),
          code_challenge_method: q.get('code_challenge_method'),
          label: q.get('label'),
          expires_days: 90,
        })
        .expect(201);
      expect(issued.body.expires_in).toBe(120);
      expect(issued.body.code).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const redirect = await fetch(
        `http://127.0.0.1:${q.get('port')}/callback?code=${encodeURIComponent(issued.body.code)}&state=${encodeURIComponent(q.get('state')!)}`,
      );
      expect(redirect.status).toBe(200);

      // CLI: the code from the callback and the verifier it kept, for credentials.
      const code = await cb.code;
      const res = await exchange(code, verifier).expect(200);
      expect(res.body).toEqual({
        api_key: expect.stringMatching(/^sk_pp_[0-9a-f]{64}$/),
        project_name: tenant.projectName,
        org_id: tenant.orgId,
        key_id: expect.any(String),
        key_prefix: res.body.api_key.slice(0, 10),
        expires_at: expect.any(String),
      });
      expect(Math.abs(Date.parse(res.body.expires_at) - (Date.now() + 90 * 86_400_000))).toBeLessThan(60_000);
      const key = await t.dataSource.getRepository(ApiKeyEntity).findOneByOrFail({ id: res.body.key_id });
      const today = new Date().toISOString().slice(0, 10);
      expect(key).toMatchObject({
        name: `pandaprobe-cli — build-box — ${today}`,
        lifetime: '90d',
        createdBy: user.userId,
      });
      // What the CLI then sends with its stored config.
      await t.http
        .get('/projects/current')
        .set({ 'X-API-Key': res.body.api_key, 'X-Project-Name': res.body.project_name })
        .expect(200);
    } finally {
      cb.server.close();
    }
  });

  it('a code is single use: a replay is refused, and of concurrent exchanges exactly one wins', async () => {
    const verifier = newVerifier();
    const { code } = (await codeFor(verifier).expect(201)).body;
    await exchange(code, verifier).expect(200);
    const replay = await exchange(code, verifier).expect(401);
    expect(replay.body.detail).toBe('Authorization code is invalid, expired, or already used.');

    const v2 = newVerifier();
    const { code: c2 } = (await codeFor(v2).expect(201)).body;
    const before = await t.dataSource.getRepository(ApiKeyEntity).countBy({ orgId: tenant.orgId });
    const results = await Promise.all(Array.from({ length: 8 }, () => exchange(c2, v2)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401, 401, 401, 401, 401, 401]);
    expect(await t.dataSource.getRepository(ApiKeyEntity).countBy({ orgId: tenant.orgId })).toBe(before + 1);
  });

  it('a wrong verifier is refused without consuming the code', async () => {
    const verifier = newVerifier();
    const { code } = (await codeFor(verifier).expect(201)).body;
    const wrong = await exchange(code, newVerifier()).expect(401);
    expect(wrong.body.detail).toBe('PKCE verification failed.');
    await exchange(code, verifier).expect(200);
  });

  it('a code expires after 120 s (injected clock)', async () => {
    const clock = t.app.get(CliAuthClock);
    const verifier = newVerifier();
    const { code } = (await codeFor(verifier).expect(201)).body;
    const issuedAt = Date.now();
    jest.spyOn(clock, 'now').mockReturnValue(issuedAt + 119_000);
    const { code: stillFresh } = (await codeFor(verifier).expect(201)).body; // issued "at" +119 s
    jest.spyOn(clock, 'now').mockReturnValue(issuedAt + 120_500);
    const late = await exchange(code, verifier).expect(401);
    expect(late.body.detail).toBe('Authorization code is invalid, expired, or already used.');
    await exchange(stillFresh, verifier).expect(200);
  });

  it('codes: S256 only, 90 days only, members of the organization, its own projects', async () => {
    const v = newVerifier();
    const plain = await codeFor(v, { code_challenge_method: 'plain' }).expect(422);
    expect(plain.body.errors).toEqual([
      { field: 'code_challenge_method', message: "Unsupported code_challenge_method. Only 'S256' is allowed." },
    ]);
    const days = await codeFor(v, { expires_days: 30 }).expect(422);
    expect(days.body.errors[0].message).toBe('Only a 90-day key lifetime is supported for the CLI.');
    await codeFor(v, { code_challenge: '' }).expect(422);
    await codeFor(v, { label: '' }).expect(422);
    const other = await createTenant(t);
    const notMember = await codeFor(v, { org_id: other.orgId, project_id: other.projectId }).expect(403);
    expect(notMember.body.detail).toBe('You are not a member of this organization.');
    await codeFor(v, { project_id: other.projectId }).expect(404);
    await t.http.post('/cli/auth/codes').send({}).expect(401);
    // An API key is no Bearer user.
    await t.http.post('/cli/auth/codes').set(tenant.headers).send({}).expect(401);
  });

  it('the exchange refuses a user who left the organization (the code is spent)', async () => {
    const leaver = await createMember(t, tenant, MembershipRole.ADMIN);
    const verifier = newVerifier();
    const { code } = (
      await t.http
        .post('/cli/auth/codes')
        .set({ Authorization: leaver.headers.Authorization })
        .send({ org_id: tenant.orgId, project_id: tenant.projectId, code_challenge: challengeOf(verifier), label: 'x' })
        .expect(201)
    ).body;
    await t.dataSource.query(`DELETE FROM memberships WHERE user_id = $1`, [leaver.userId]);
    await exchange(code, verifier).expect(403);
    await exchange(code, verifier).expect(401);
  });

  it('bad exchange bodies are 422 in the documented shape', async () => {
    const res = await t.http.post('/cli/auth/exchange').set(cliHeaders()).send({ code: 'x' }).expect(422);
    expect(res.body.detail).toBe('Validation error');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('code_verifier');
  });
});

describe('CLI login: the exchange is rate-limited per client IP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_CLI_EXCHANGE: '3', QUEUE_PREFIX: `cr${randomBytes(3).toString('hex')}` });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 429 with Retry-After past the limit, whatever the codes', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await t.http
        .post('/cli/auth/exchange')
        .set(cliHeaders())
        .send({ code: `guess-${i}`, code_verifier: 'v' });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.headers['retry-after']).toMatch(/^\d+$/);
        expect(res.body.error).toBe('Rate limit exceeded: 3 per 1 minute');
      }
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });
});
