import { createTestApp, TestApp } from '../support/test-app';
import { createMember, createTenant, signToken } from '../support/tenancy';

// Its own file: passport strategies are process-global, so an app with other JWT settings
// must not share a test file (and so a module registry) with the default test app.
describe('auth: JWT issuer and audience', () => {
  let strict: TestApp;
  beforeAll(async () => {
    strict = await createTestApp({ JWT_ISSUER: 'https://idp.example', JWT_AUDIENCE: 'pandaprobe' });
  });
  afterAll(() => strict.close());

  it('checks iss and aud when configured', async () => {
    const tenant = await createTenant(strict);
    const m = await createMember(strict, tenant);
    const call = (token: string) =>
      strict.http.get('/projects/current').set({ Authorization: `Bearer ${token}`, 'X-Project-ID': tenant.projectId });
    await call(signToken(strict, m.externalId, { issuer: 'https://idp.example', audience: 'pandaprobe' })).expect(200);
    await call(signToken(strict, m.externalId, { issuer: 'https://evil.example', audience: 'pandaprobe' })).expect(401);
    await call(signToken(strict, m.externalId, { issuer: 'https://idp.example', audience: 'other' })).expect(401);
    await call(signToken(strict, m.externalId)).expect(401);
  });
});
