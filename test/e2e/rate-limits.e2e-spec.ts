import { createTestApp, TestApp } from '../support/test-app';
import { createTenant, Tenant } from '../support/tenancy';

describe('rate limits', () => {
  let one: TestApp;
  let two: TestApp;
  let a: Tenant;

  beforeAll(async () => {
    // Two API instances sharing Redis, as behind a load balancer.
    const env = { RATE_LIMIT_DEFAULT: '5', RATE_LIMIT_WINDOW_MS: '60000' };
    one = await createTestApp(env);
    two = await createTestApp(env);
    a = await createTenant(one);
  });
  afterAll(async () => {
    await one.close();
    await two.close();
  });

  it('counts per credential across instances, then answers 429 with Retry-After and the documented body', async () => {
    for (const t of [one, two, one, two, one]) await t.http.get('/projects/current').set(a.headers).expect(200);
    const limited = await two.http.get('/projects/current').set(a.headers).expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.body.error).toBe('Rate limit exceeded: 5 per 1 minute');
    expect(limited.body.detail).toMatch(/^Rate limit exceeded: 5 per 1 minute\. Retry after \d+ seconds?\.$/);
    await one.http.get('/projects/current').set(a.headers).expect(429);
  });

  it('keys on the credential: another key has its own budget, another project of the same key does not', async () => {
    const b = await createTenant(one);
    await one.http.get('/projects/current').set(b.headers).expect(200);
    await one.http
      .get('/projects/current')
      .set({ ...a.headers, 'X-Project-Name': 'another-project' })
      .expect(429);
  });

  it('a key over its limit creates no project by naming a new one (the limit is counted first)', async () => {
    const named = ['rl-new-1', 'rl-new-2', 'rl-new-3'];
    for (const name of named) {
      await one.http
        .get('/projects/current')
        .set({ ...a.headers, 'X-Project-Name': name })
        .expect(429);
    }
    const created = await one.dataSource.query(`SELECT name FROM projects WHERE org_id = $1 AND name = ANY($2)`, [
      a.orgId,
      named,
    ]);
    expect(created).toEqual([]);
  });

  it('does not count unauthenticated requests against a caller', async () => {
    const c = await createTenant(one);
    for (let i = 0; i < 8; i++) await one.http.get('/projects/current').set({ 'X-API-Key': 'sk_pp_nope' }).expect(401);
    await one.http.get('/projects/current').set(c.headers).expect(200);
  });
});
