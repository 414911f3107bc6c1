import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { createTestApp, TestApp } from '../support/test-app';

/**
 * An OIDC issuer's tokens through its JWKS, shaped as Firebase ID tokens are (the dashboard's auth
 * build): iss https://securetoken.google.com/<project>, aud <project>, sub = uid, email, name. The
 * key server is local. Its own file: passport strategies are process-global.
 */
const PROJECT = 'pandaprobe-dashboard-test';
const ISSUER = `https://securetoken.google.com/${PROJECT}`;

describe('identity: Firebase-shaped ID tokens through JWKS', () => {
  let t: TestApp;
  let keys: Server;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const firebaseToken = (claims: Record<string, unknown>, options: jwt.SignOptions = {}) =>
    jwt.sign({ email_verified: true, firebase: { sign_in_provider: 'google.com' }, ...claims }, rsa.privateKey, {
      algorithm: 'RS256',
      keyid: 'fb-1',
      issuer: ISSUER,
      audience: PROJECT,
      expiresIn: '1h',
      ...options,
    });

  beforeAll(async () => {
    keys = createServer((_req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(
        JSON.stringify({
          keys: [{ ...rsa.publicKey.export({ format: 'jwk' }), kid: 'fb-1', alg: 'RS256', use: 'sig' }],
        }),
      );
    });
    await new Promise<void>((r) => keys.listen(0, '127.0.0.1', r));
    t = await createTestApp({
      JWT_JWKS_URI: `http://127.0.0.1:${(keys.address() as AddressInfo).port}/jwk`,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: PROJECT,
    });
  });
  afterAll(async () => {
    await t?.close();
    await new Promise((r) => keys?.close(r));
  });

  it('GET /me creates the user from the token (uid, email, name) and gives them an organization', async () => {
    const uid = `firebase-${randomUUID()}`;
    const auth = {
      Authorization: `Bearer ${firebaseToken({ sub: uid, user_id: uid, email: `${uid}@gmail.com`, name: 'Grace Hopper' })}`,
    };
    const me = await t.http.get('/me').set(auth).expect(200);
    expect(me.body).toMatchObject({ email: `${uid}@gmail.com`, display_name: 'Grace Hopper' });
    const orgs = await t.http.get('/organizations').set(auth).expect(200);
    expect(orgs.body).toEqual([expect.objectContaining({ name: 'My Organization', role: 'OWNER' })]);
  });

  it('refuses another Firebase project’s tokens, another issuer’s, and our HS256 tokens while JWKS is configured', async () => {
    const sub = `firebase-${randomUUID()}`;
    const refused = [
      firebaseToken({ sub }, { audience: 'another-project' }),
      firebaseToken({ sub }, { issuer: 'https://securetoken.google.com/another-project' }),
      jwt.sign({ sub, iss: ISSUER, aud: PROJECT }, t.config.auth.jwtSecret!, { algorithm: 'HS256', expiresIn: '1h' }),
    ];
    for (const token of refused) await t.http.get('/me').set('Authorization', `Bearer ${token}`).expect(401);
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM users WHERE external_id = $1`, [sub]);
    expect(n).toBe(0);
  });
});
