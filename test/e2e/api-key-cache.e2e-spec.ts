import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { ApiKeyAuthService } from '../../src/modules/auth/api-key-auth.service';
import { ApiKeyEntity } from '../../src/modules/auth/entities/api-key.entity';
import { MembershipRole } from '../../src/modules/auth/entities/membership.entity';
import { createMember, createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';
import { scopedPrefix } from '../support/test-env';

/** Resolves when `instance` has applied the published revocation of `keyId`; fails after `ms` instead of hanging. */
async function revocationApplied(instance: TestApp, keyId: string, ms = 5000): Promise<void> {
  const events = instance.app.get(ApiKeyAuthService).events;
  const timeout = AbortSignal.timeout(ms);
  for (;;) {
    const [id] = (await once(events, 'revoked', { signal: timeout })) as [string];
    if (id === keyId) return;
  }
}

describe('API-key lookup cache across two API instances', () => {
  let one: TestApp;
  let two: TestApp;
  // A long TTL, so only the published revocation can explain a refusal on the other instance.
  const env = { API_KEY_CACHE_TTL_MS: '60000', QUEUE_PREFIX: scopedPrefix('kc') };

  beforeAll(async () => {
    one = await createTestApp(env);
    two = await createTestApp(env);
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
  });

  const current = (t: TestApp, tenant: Tenant) => t.http.get('/projects/current').set(tenant.headers);

  it('caches: a key switched off behind the service still works on a warm instance (until the TTL)', async () => {
    const a = await createTenant(one);
    await current(two, a).expect(200);
    await one.dataSource.getRepository(ApiKeyEntity).update({ id: a.apiKeyId }, { isActive: false });
    await current(two, a).expect(200);
    // A cold lookup (another project name) reads PostgreSQL.
    await two.http
      .get('/projects/current')
      .set({ ...a.headers, 'X-Project-Name': 'never-cached' })
      .expect(401);
  });

  it('a revocation on one instance is refused there at once and on the other as soon as the message lands', async () => {
    const a = await createTenant(one);
    const owner = await createMember(one, a, MembershipRole.OWNER);
    await current(one, a).expect(200);
    await current(two, a).expect(200); // both instances hold the key in their cache
    const applied = revocationApplied(two, a.apiKeyId);
    await one.http
      .delete(`/organizations/${a.orgId}/api-keys/${a.apiKeyId}`)
      .set({ Authorization: owner.headers.Authorization })
      .expect(204);
    const refused = await current(one, a).expect(401);
    expect(refused.body.detail).toBe('Invalid or revoked API key.');
    await applied;
    await current(two, a).expect(401);
    // Other keys stay cached and working.
    const b = await createTenant(one);
    await current(two, b).expect(200);
  });
  it('a process whose revocation subscription drops forgets every cached key (messages may have been missed)', async () => {
    const a = await createTenant(one);
    await current(two, a).expect(200);
    await one.dataSource.getRepository(ApiKeyEntity).update({ id: a.apiKeyId }, { isActive: false });
    await current(two, a).expect(200); // still cached
    const subscriber = (two.app.get(ApiKeyAuthService) as unknown as { subscriber: Redis }).subscriber;
    const back = once(subscriber, 'ready');
    subscriber.disconnect(true); // drop the connection; ioredis reconnects and subscribes again
    await back;
    await current(two, a).expect(401);
  });
});

describe('API_KEY_CACHE_TTL_MS=0', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ API_KEY_CACHE_TTL_MS: '0' });
  });
  afterAll(() => t?.close());

  it('looks the key up on every request: a key switched off in PostgreSQL is refused at once', async () => {
    const a = await createTenant(t);
    await t.http.get('/projects/current').set(a.headers).expect(200);
    await t.dataSource.getRepository(ApiKeyEntity).update({ id: a.apiKeyId }, { isActive: false });
    await t.http.get('/projects/current').set(a.headers).expect(401);
  });
});
