import fs from 'node:fs';
import { createHash, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { MembershipRole } from '../../src/modules/auth/entities/membership.entity';
import { buildTrace } from '../factories/trace.factory';
import { createMember, createTenant, signToken } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

/**
 * Security evidence (docs/evidence.md): secrets never leave the creation response (logs at debug
 * level, other responses, the database), and oversized bodies and headers are refused without
 * harm. JWT verification under JWKS: security-jwks.e2e-spec.ts; rate limits: security-rate-limits.
 */

/**
 * Captures what the process writes to stdout and stderr. pino writes through sonic-boom, which
 * calls fs.write/fs.writeSync on fd 1, bypassing process.stdout.write: all three are intercepted.
 */
function captureOutput(): { text: () => string; restore: () => void } {
  const chunks: string[] = [];
  const asText = (data: unknown) => (Buffer.isBuffer(data) ? data.toString('utf8') : String(data));
  const originalWrite = fs.write;
  const originalWriteSync = fs.writeSync;
  const originalStdout = process.stdout.write.bind(process.stdout);
  const originalStderr = process.stderr.write.bind(process.stderr);
  const patchedFs = fs as unknown as Record<string, unknown>;
  patchedFs.writeSync = (fd: number, data: unknown, ...rest: unknown[]) => {
    if (fd === 1 || fd === 2) {
      const s = asText(data);
      chunks.push(s);
      return Buffer.byteLength(s);
    }
    return (originalWriteSync as (...a: unknown[]) => number)(fd, data, ...rest);
  };
  patchedFs.write = (fd: number, data: unknown, ...rest: unknown[]) => {
    if (fd === 1 || fd === 2) {
      const s = asText(data);
      chunks.push(s);
      const cb = rest.find((r) => typeof r === 'function') as ((e: null, n: number) => void) | undefined;
      if (cb) process.nextTick(cb, null, Buffer.byteLength(s));
      return;
    }
    return (originalWrite as (...a: unknown[]) => void)(fd, data, ...rest);
  };
  process.stdout.write = ((data: unknown) => (chunks.push(asText(data)), true)) as typeof process.stdout.write;
  process.stderr.write = ((data: unknown) => (chunks.push(asText(data)), true)) as typeof process.stderr.write;
  return {
    text: () => chunks.join(''),
    restore: () => {
      patchedFs.write = originalWrite;
      patchedFs.writeSync = originalWriteSync;
      process.stdout.write = originalStdout;
      process.stderr.write = originalStderr;
    },
  };
}

/** Sends raw headers (supertest refuses some), resolving with the status, or the socket error. */
function rawGet(baseUrl: string, path: string, headers: Record<string, string>): Promise<number | string> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const req = request({ host: url.hostname, port: url.port, path, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (e) => resolve(`error: ${e.message}`));
    req.end();
  });
}

const BODY_LIMIT = 256 * 1024;

describe('security: secrets stay secret, size limits hold', () => {
  let t: TestApp;
  let output: ReturnType<typeof captureOutput>;

  beforeAll(async () => {
    output = captureOutput();
    t = await createTestApp({ LOG_LEVEL: 'debug', BODY_LIMIT_BYTES: String(BODY_LIMIT) });
  });
  afterAll(async () => {
    await t?.close();
    output?.restore();
  });

  it('an API key appears in its creation response only: not in logs (debug level), other responses or the database', async () => {
    const tenant = await createTenant(t);
    const owner = await createMember(t, tenant, MembershipRole.OWNER);
    const auth = { Authorization: owner.headers.Authorization };
    const created = await t.http
      .post(`/organizations/${tenant.orgId}/api-keys`)
      .set(auth)
      .send({ name: 'ci' })
      .expect(201);
    const raw: string = created.body.raw_key;
    expect(raw).toMatch(/^sk_pp_[0-9a-f]{64}$/);
    const logsBefore = output.text().length;

    // Use it the ways clients do, succeed and fail with it, then revoke it and use it again.
    const headers = { 'X-API-Key': raw, 'X-Project-Name': tenant.projectName };
    const unknownKey = `sk_pp_${createHash('sha256').update(randomUUID()).digest('hex')}`;
    const trace = buildTrace();
    const responses = [
      await t.http.get('/projects/current').set(headers),
      await t.http.get('/projects/current').set({ 'x-api-key': raw, 'x-project-name': tenant.projectName }),
      await t.http.post('/traces').set(headers).send(trace),
      await t.http.get(`/traces/${trace.trace_id}`).set(headers),
      await t.http.get('/traces?limit=5&name=%25').set(headers),
      await t.http.post('/traces').set(headers).send({ name: 42 }),
      await t.http.get(`/traces/${randomUUID()}`).set(headers),
      await t.http.get('/projects/current').set({ 'X-API-Key': raw, 'X-Project-Name': '-bad!' }),
      await t.http.get('/projects/current').set({ 'X-API-Key': unknownKey, 'X-Project-Name': 'x' }),
      await t.http.get(`/organizations/${tenant.orgId}/api-keys`).set(auth),
      await t.http.delete(`/organizations/${tenant.orgId}/api-keys/${created.body.id}`).set(auth),
      await t.http.get('/projects/current').set(headers),
      await t.http.get('/organizations').set(headers),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 202, 200, 200, 422, 404, 422, 401, 200, 204, 401, 401]);
    const listed = responses[9].body as { id: string; raw_key: string | null; key_prefix: string }[];
    expect(listed.find((k) => k.id === created.body.id)).toMatchObject({ raw_key: null, key_prefix: raw.slice(0, 10) });
    for (const res of responses) {
      expect(JSON.stringify(res.headers) + res.text).not.toContain(raw.slice(10));
      expect(res.text).not.toContain(unknownKey);
    }

    // The logs saw every request (so the capture works) and neither key nor the Bearer token.
    await new Promise((r) => setTimeout(r, 200)); // pino flushes asynchronously
    const logs = output.text().slice(logsBefore);
    expect(logs).toContain('/projects/current');
    expect(logs).toContain('[redacted]');
    expect(logs).not.toContain(raw.slice(10));
    expect(logs).not.toContain(unknownKey.slice(10));
    expect(logs).not.toContain(owner.token.split('.')[2]);

    // Stored only as a SHA-256 hash: no column of any table holds the key or its secret part.
    const [row] = await t.dataSource.query('SELECT key_hash, key_prefix FROM api_keys WHERE id = $1', [
      created.body.id,
    ]);
    expect(row).toEqual({ key_hash: createHash('sha256').update(raw).digest('hex'), key_prefix: raw.slice(0, 10) });
    const tables: { table_name: string }[] = await t.dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    for (const { table_name } of tables) {
      const dump = JSON.stringify(await t.dataSource.query(`SELECT * FROM "${table_name}"`));
      expect({ table_name, holdsKey: dump.includes(raw.slice(10)) || dump.includes(tenant.apiKey.slice(10)) }).toEqual({
        table_name,
        holdsKey: false,
      });
    }
  });

  it('413 in the documented body for a body over BODY_LIMIT_BYTES on POST /traces; just under it is accepted', async () => {
    const tenant = await createTenant(t);
    const under = buildTrace({ input: { blob: 'u'.repeat(BODY_LIMIT - 4096) } });
    await t.http.post('/traces').set(tenant.headers).send(under).expect(202);
    const over = buildTrace({ input: { blob: 'o'.repeat(BODY_LIMIT + 1) } });
    const res = await t.http.post('/traces').set(tenant.headers).send(over).expect(413);
    expect(res.body).toEqual({ detail: 'Request body is larger than the configured limit.' });
    // Also when the client lies about the length with chunked encoding (no Content-Length).
    const chunked = await new Promise<number>((resolve, reject) => {
      const url = new URL(t.baseUrl);
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: '/traces',
          method: 'POST',
          agent: false,
          headers: { ...tenant.headers, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
        },
        (r) => {
          r.resume();
          r.on('end', () => resolve(r.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 8; i++) req.write(`{"pad":"${'c'.repeat(BODY_LIMIT / 4)}",`.slice(i === 0 ? 0 : 1));
      req.end('"x":1}');
    }).catch((e: Error) => `error: ${e.message}`);
    expect([413, 'error: socket hang up', 'error: write EPIPE', 'error: read ECONNRESET']).toContain(chunked);
    await t.http.get(`/traces/${over.trace_id}`).set(tenant.headers).expect(404);
  });

  it('headers over 16 KB are refused by Node (431) before our code, and the server keeps answering', async () => {
    const tenant = await createTenant(t);
    const status = await rawGet(t.baseUrl, '/projects/current', { ...tenant.headers, 'X-Padding': 'p'.repeat(20_000) });
    expect([431, 'error: socket hang up', 'error: read ECONNRESET']).toContain(status);
    const longUrl = await rawGet(t.baseUrl, `/traces?name=${'n'.repeat(20_000)}`, tenant.headers);
    expect([431, 'error: socket hang up', 'error: read ECONNRESET']).toContain(longUrl);
    const longKey = await rawGet(t.baseUrl, '/projects/current', {
      'X-API-Key': `sk_pp_${'f'.repeat(15_000)}`,
      'X-Project-Name': 'x',
    });
    expect([401, 431]).toContain(longKey);
    const longToken = await rawGet(t.baseUrl, '/projects/current', {
      Authorization: `Bearer ${signToken(t, 'x'.repeat(10_000))}`,
      'X-Project-ID': tenant.projectId,
    });
    expect([401, 431]).toContain(longToken);
    await t.http.get('/projects/current').set(tenant.headers).expect(200);
    await t.http.get('/health').expect(200);
  });
});
