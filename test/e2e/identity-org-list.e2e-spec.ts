import { MembershipRole } from '../../src/modules/auth/entities/membership.entity';
import { addToOrg, signIn } from '../support/identity';
import { createTestApp, TestApp } from '../support/test-app';

/** POST /organizations and GET /organizations as the original answers them (dashboard-contract §4.3). */
describe('identity: creating and listing organizations', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_DEFAULT: '100000' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('creates the organization with the onboarding project, as the original does', async () => {
    const person = await signIn(t);
    const org = await t.http.post('/organizations').set(person.auth).send({ name: 'Acme' }).expect(201);
    const projects = await t.http.get(`/organizations/${org.body.id}/projects`).set(person.auth).expect(200);
    expect(projects.body).toEqual([
      expect.objectContaining({ org_id: org.body.id, name: 'onboarding', description: 'Your onboarding project' }),
    ]);
  });

  it('lists by membership, newest first: the dashboard takes element 0 as the default organization', async () => {
    const person = await signIn(t);
    const elder = await signIn(t); // an organization created before the person's next ones
    const acme = await t.http.post('/organizations').set(person.auth).send({ name: 'Acme' }).expect(201);
    const beta = await t.http.post('/organizations').set(person.auth).send({ name: 'Beta' }).expect(201);
    let ids = (await t.http.get('/organizations').set(person.auth).expect(200)).body.map((o: { id: string }) => o.id);
    expect(ids).toEqual([beta.body.id, acme.body.id, person.orgId]);
    // Joining the oldest organization last puts it first: the membership's age counts, not the organization's.
    await addToOrg(t, person, elder.orgId, MembershipRole.MEMBER);
    const listed = (await t.http.get('/organizations').set(person.auth).expect(200)).body;
    ids = listed.map((o: { id: string }) => o.id);
    expect(ids).toEqual([elder.orgId, beta.body.id, acme.body.id, person.orgId]);
    expect(listed[0]).toMatchObject({ name: 'My Organization', role: 'MEMBER' });
  });
});
