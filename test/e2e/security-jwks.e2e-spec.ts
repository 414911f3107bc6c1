import { generateKeyPairSync, KeyObject, randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { createMember, createTenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

/**
 * Bearer tokens verified through a JWKS URL (RS256 and ES256), served by a local HTTP server with
 * generated key pairs. Its own file: passport strategies are process-global, so an app with other
 * JWT settings must not share a module registry with the default test app.
 */
const ISSUER = 'https://idp.test';
const AUDIENCE = 'pandaprobe-api';

describe('security: JWT through JWKS (RS256, ES256)', () => {
  let t: TestApp;
  let jwks: Server;
  let jwksHits = 0;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rogue = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = (key: KeyObject, kid: string, alg: string) => ({
    ...key.export({ format: 'jwk' }),
    kid,
    alg,
    use: 'sig',
  });
  let sub: string;
  let projectId: string;

  const sign = (payload: object, key: KeyObject | string, options: jwt.SignOptions) =>
    jwt.sign(payload, key as jwt.Secret, { issuer: ISSUER, audience: AUDIENCE, expiresIn: '5m', ...options });
  const call = (token: string) =>
    t.http.get('/projects/current').set({ Authorization: `Bearer ${token}`, 'X-Project-ID': projectId });

  beforeAll(async () => {
    jwks = createServer((req, res) => {
      jwksHits += 1;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk(rsa.publicKey, 'rsa-1', 'RS256'), jwk(ec.publicKey, 'ec-1', 'ES256')] }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const { port } = jwks.address() as AddressInfo;
    t = await createTestApp({
      JWT_JWKS_URI: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
    });
    const tenant = await createTenant(t);
    projectId = tenant.projectId;
    sub = (await createMember(t, tenant)).externalId;
  });
  afterAll(async () => {
    await t?.close();
    await new Promise((r) => jwks?.close(r));
  });

  it('accepts RS256 and ES256 tokens signed by keys of the JWKS, with the right issuer and audience', async () => {
    await call(sign({ sub }, rsa.privateKey, { algorithm: 'RS256', keyid: 'rsa-1' })).expect(200);
    await call(sign({ sub }, ec.privateKey, { algorithm: 'ES256', keyid: 'ec-1' })).expect(200);
    expect(jwksHits).toBeGreaterThan(0);
  });

  it('refuses every forged, confused, stale or misaddressed token with 401 in the documented body', async () => {
    const rsaPem = rsa.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const forged: Record<string, string> = {
      'signed by another key, same kid': sign({ sub }, rogue.privateKey, { algorithm: 'RS256', keyid: 'rsa-1' }),
      'signed by another key, unknown kid': sign({ sub }, rogue.privateKey, { algorithm: 'RS256', keyid: 'rogue' }),
      'no kid': sign({ sub }, rogue.privateKey, { algorithm: 'RS256' }),
      'alg none': jwt.sign({ sub, iss: ISSUER, aud: AUDIENCE }, '', { algorithm: 'none' }),
      'alg none with a kid of the JWKS': jwt.sign({ sub, iss: ISSUER, aud: AUDIENCE }, '', {
        algorithm: 'none',
        keyid: 'rsa-1',
      }),
      'HS256 keyed with the public key (algorithm confusion)': sign({ sub }, rsaPem, {
        algorithm: 'HS256',
        keyid: 'rsa-1',
      }),
      'HS256 with a guessable secret': sign({ sub }, 'secret', { algorithm: 'HS256', keyid: 'rsa-1' }),
      expired: sign({ sub }, rsa.privateKey, { algorithm: 'RS256', keyid: 'rsa-1', expiresIn: -60 }),
      'not yet valid': sign({ sub }, rsa.privateKey, { algorithm: 'RS256', keyid: 'rsa-1', notBefore: '1h' }),
      'wrong issuer': sign({ sub }, rsa.privateKey, {
        algorithm: 'RS256',
        keyid: 'rsa-1',
        issuer: 'https://evil.test',
      }),
      'wrong audience': sign({ sub }, rsa.privateKey, { algorithm: 'RS256', keyid: 'rsa-1', audience: 'another-api' }),
      'no issuer or audience': jwt.sign({ sub }, rsa.privateKey, {
        algorithm: 'RS256',
        keyid: 'rsa-1',
        expiresIn: '5m',
      }),
      'ES256 key with RS256 kid': sign({ sub }, ec.privateKey, { algorithm: 'ES256', keyid: 'rsa-1' }),
      'tampered payload': (() => {
        const [h, , s] = sign({ sub }, rsa.privateKey, { algorithm: 'RS256', keyid: 'rsa-1' }).split('.');
        const p = Buffer.from(
          JSON.stringify({ sub: `user-${randomUUID()}`, iss: ISSUER, aud: AUDIENCE, exp: 9999999999 }),
        ).toString('base64url');
        return `${h}.${p}.${s}`;
      })(),
    };
    const users = async () => Number((await t.dataSource.query('SELECT count(*) AS n FROM users'))[0].n);
    const usersBefore = await users();
    const statuses: Record<string, number> = {};
    for (const [name, token] of Object.entries(forged)) {
      const res = await call(token);
      statuses[name] = res.status;
      if (res.status === 401) expect(typeof res.body.detail).toBe('string');
    }
    expect(statuses).toEqual(Object.fromEntries(Object.keys(forged).map((k) => [k, 401])));
    // A refused token never creates a user (the tampered one names a new subject).
    expect(await users()).toBe(usersBefore);
  });
});
