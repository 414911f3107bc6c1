import { randomUUID } from 'node:crypto';
import { MembershipRole } from '../../src/modules/auth/entities/membership.entity';
import { addToOrg, roleCast, signIn, SignedIn } from '../support/identity';
import { createTestApp, TestApp } from '../support/test-app';

type Cast = Awaited<ReturnType<typeof roleCast>>;
type Caller = 'owner' | 'admin' | 'member' | 'stranger' | 'otherOwner';
const CALLERS: Caller[] = ['owner', 'admin', 'member', 'stranger', 'otherOwner'];
const NOT_MEMBER = { detail: 'You are not a member of this organization.' };

/**
 * Organizations, members and projects over HTTP, each operation with its role matrix (OWNER,
 * ADMIN, MEMBER, a signed-in stranger, another organization's owner) and its 4xx cases.
 */
describe('identity: organizations, members and projects, role by role', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_DEFAULT: '100000' });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Each caller's status for one request; the request may change the organization, so each gets a fresh cast. */
  async function matrix(
    run: (cast: Cast, who: SignedIn) => Promise<{ status: number }>,
  ): Promise<Record<Caller, number>> {
    const out = {} as Record<Caller, number>;
    for (const caller of CALLERS) {
      const cast = await roleCast(t);
      out[caller] = (await run(cast, cast[caller])).status;
    }
    return out;
  }

  it('GET /organizations/{id}: any member, with their role; non-members get 403 for an existing and a missing organization alike', async () => {
    const cast = await roleCast(t);
    for (const [who, role] of [
      [cast.owner, 'OWNER'],
      [cast.admin, 'ADMIN'],
      [cast.member, 'MEMBER'],
    ] as const) {
      const res = await t.http.get(`/organizations/${cast.orgId}`).set(who.auth).expect(200);
      expect(res.body).toEqual({ id: cast.orgId, name: 'My Organization', created_at: expect.any(String), role });
    }
    for (const orgId of [cast.orgId, randomUUID()]) {
      for (const who of [cast.stranger, cast.otherOwner]) {
        expect((await t.http.get(`/organizations/${orgId}`).set(who.auth).expect(403)).body).toEqual(NOT_MEMBER);
      }
    }
    expect((await t.http.get('/organizations/not-a-uuid').set(cast.owner.auth).expect(422)).body.detail).toMatch(
      /uuid/,
    );
  });

  it('PATCH /organizations/{id}: OWNER and ADMIN rename; 422 for a bad name; null or omitted keeps it', async () => {
    const statuses = await matrix((c, who) =>
      t.http.patch(`/organizations/${c.orgId}`).set(who.auth).send({ name: 'Renamed Co' }),
    );
    expect(statuses).toEqual({ owner: 200, admin: 200, member: 403, stranger: 403, otherOwner: 403 });
    const cast = await roleCast(t);
    const res = await t.http
      .patch(`/organizations/${cast.orgId}`)
      .set(cast.admin.auth)
      .send({ name: '  Acme  ' })
      .expect(200);
    expect(res.body).toEqual({ id: cast.orgId, name: 'Acme', created_at: expect.any(String) });
    await t.http.patch(`/organizations/${cast.orgId}`).set(cast.owner.auth).send({}).expect(200);
    await t.http.patch(`/organizations/${cast.orgId}`).set(cast.owner.auth).send({ name: null }).expect(200);
    expect((await t.http.get(`/organizations/${cast.orgId}`).set(cast.owner.auth)).body.name).toBe('Acme');
    for (const name of ['', 'x'.repeat(256), 42]) {
      const bad = await t.http.patch(`/organizations/${cast.orgId}`).set(cast.owner.auth).send({ name }).expect(422);
      expect(bad.body.detail).toBe('Validation error');
      expect(bad.body.errors.map((e: { field: string }) => e.field)).toContain('name');
    }
    expect(
      (await t.http.patch(`/organizations/${cast.orgId}`).set(cast.member.auth).send({ name: 'x' }).expect(403)).body,
    ).toEqual({ detail: 'Admin or Owner role required.' });
  });

  it('DELETE /organizations/{id}: OWNER only; answers what it deleted; the organization is gone for everyone', async () => {
    const statuses = await matrix((c, who) => t.http.delete(`/organizations/${c.orgId}`).set(who.auth));
    expect(statuses).toEqual({ owner: 200, admin: 403, member: 403, stranger: 403, otherOwner: 403 });
    const cast = await roleCast(t);
    expect((await t.http.delete(`/organizations/${cast.orgId}`).set(cast.admin.auth).expect(403)).body).toEqual({
      detail: 'Owner role required.',
    });
    const res = await t.http.delete(`/organizations/${cast.orgId}`).set(cast.owner.auth).expect(200);
    expect(res.body).toEqual({
      id: cast.orgId,
      deleted: expect.objectContaining({ organizations: 1, memberships: 3, projects: 1 }),
    });
    await t.http.get(`/organizations/${cast.orgId}`).set(cast.admin.auth).expect(403);
    // A second OWNER may delete too; a missing organization is 403 like any other non-membership.
    await t.http.delete(`/organizations/${cast.orgId}`).set(cast.owner.auth).expect(403);
  });

  it('GET /organizations/{id}/members: any member, oldest first, with names and emails', async () => {
    const cast = await roleCast(t);
    const statuses = {} as Record<Caller, number>;
    for (const caller of CALLERS) {
      statuses[caller] = (await t.http.get(`/organizations/${cast.orgId}/members`).set(cast[caller].auth)).status;
    }
    expect(statuses).toEqual({ owner: 200, admin: 200, member: 200, stranger: 403, otherOwner: 403 });
    const res = await t.http.get(`/organizations/${cast.orgId}/members`).set(cast.member.auth).expect(200);
    expect(res.body.map((m: { user_id: string; role: string }) => [m.user_id, m.role])).toEqual([
      [cast.owner.userId, 'OWNER'],
      [cast.admin.userId, 'ADMIN'],
      [cast.member.userId, 'MEMBER'],
    ]);
    expect(res.body[0]).toEqual({
      id: expect.any(String),
      user_id: cast.owner.userId,
      org_id: cast.orgId,
      role: 'OWNER',
      display_name: expect.stringMatching(/^Person /),
      email: cast.owner.email,
      created_at: expect.any(String),
    });
  });

  it('PATCH /organizations/{id}/members/{user_id}: only an OWNER changes roles; owners are never demoted; nobody changes their own', async () => {
    const statuses = await matrix((c, who) =>
      t.http.patch(`/organizations/${c.orgId}/members/${c.member.userId}`).set(who.auth).send({ role: 'ADMIN' }),
    );
    expect(statuses).toEqual({ owner: 200, admin: 403, member: 403, stranger: 403, otherOwner: 403 });

    const cast = await roleCast(t);
    const patch = (who: SignedIn, userId: string, role: string) =>
      t.http.patch(`/organizations/${cast.orgId}/members/${userId}`).set(who.auth).send({ role });
    const promoted = await patch(cast.owner, cast.member.userId, 'ADMIN').expect(200);
    expect(promoted.body).toMatchObject({
      user_id: cast.member.userId,
      org_id: cast.orgId,
      role: 'ADMIN',
      email: cast.member.email,
    });
    expect((await patch(cast.owner, cast.owner.userId, 'MEMBER').expect(403)).body).toEqual({
      detail: 'Cannot change your own role.',
    });
    expect((await patch(cast.admin, cast.admin.userId, 'OWNER').expect(403)).body).toEqual({
      detail: 'Cannot change your own role.',
    });
    expect((await patch(cast.admin, cast.member.userId, 'MEMBER').expect(403)).body).toEqual({
      detail: 'Only owners can change member roles.',
    });
    expect((await patch(cast.owner, cast.stranger.userId, 'ADMIN').expect(404)).body).toEqual({
      detail: 'Member not found: the user is not a member of this organization.',
    });
    // An OWNER may make a co-owner, who then can never be demoted, not even by the first owner.
    await patch(cast.owner, cast.admin.userId, 'OWNER').expect(200);
    expect((await patch(cast.owner, cast.admin.userId, 'MEMBER').expect(403)).body).toEqual({
      detail: 'Cannot change the role of another owner.',
    });
    expect((await patch(cast.admin, cast.owner.userId, 'ADMIN').expect(403)).body).toEqual({
      detail: 'Cannot change the role of another owner.',
    });
    await patch(cast.owner, cast.member.userId, 'SUPERUSER').expect(422);
    await patch(cast.owner, 'nope', 'ADMIN').expect(422);
  });

  it('DELETE /organizations/{id}/members/{user_id}: OWNER removes ADMIN and MEMBER, ADMIN removes MEMBER only, an OWNER never', async () => {
    const remove = (cast: Cast, who: SignedIn, target: SignedIn) =>
      t.http.delete(`/organizations/${cast.orgId}/members/${target.userId}`).set(who.auth);
    expect(await matrix((c, who) => remove(c, who, c.member))).toEqual({
      owner: 204,
      admin: 204,
      member: 403,
      stranger: 403,
      otherOwner: 403,
    });
    expect(await matrix((c, who) => remove(c, who, c.admin))).toEqual({
      owner: 204,
      admin: 403,
      member: 403,
      stranger: 403,
      otherOwner: 403,
    });
    expect(await matrix((c, who) => remove(c, who, c.owner))).toEqual({
      owner: 403,
      admin: 403,
      member: 403,
      stranger: 403,
      otherOwner: 403,
    });
    const cast = await roleCast(t);
    expect((await remove(cast, cast.admin, cast.owner).expect(403)).body).toEqual({
      detail: 'Cannot remove an OWNER from the organization.',
    });
    expect((await remove(cast, cast.member, cast.admin).expect(403)).body).toEqual({
      detail: 'Members cannot remove other members.',
    });
    const otherAdmin = await signIn(t);
    await addToOrg(t, otherAdmin, cast.orgId, MembershipRole.ADMIN);
    expect((await remove(cast, cast.admin, otherAdmin).expect(403)).body).toEqual({
      detail: 'Admins can only remove members with MEMBER role.',
    });
    expect((await remove(cast, cast.owner, cast.stranger).expect(404)).body).toEqual({
      detail: 'Member not found: the user is not a member of this organization.',
    });
    // Removed: the organization is no longer theirs.
    await remove(cast, cast.admin, cast.member).expect(204);
    await t.http.get(`/organizations/${cast.orgId}`).set(cast.member.auth).expect(403);
  });

  it('a promotion to OWNER racing a removal never removes an owner', async () => {
    for (let i = 0; i < 5; i++) {
      const cast = await roleCast(t);
      const coOwner = await signIn(t);
      await addToOrg(t, coOwner, cast.orgId, MembershipRole.OWNER);
      const [promote, removal] = await Promise.all([
        t.http
          .patch(`/organizations/${cast.orgId}/members/${cast.admin.userId}`)
          .set(cast.owner.auth)
          .send({ role: 'OWNER' }),
        t.http.delete(`/organizations/${cast.orgId}/members/${cast.admin.userId}`).set(coOwner.auth),
      ]);
      const [row] = await t.dataSource.query(`SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2`, [
        cast.orgId,
        cast.admin.userId,
      ]);
      // Either the removal won (no row; the promotion then finds no member), or the promotion did and the owner stays.
      if (removal.status === 204) expect([row, promote.status]).toEqual([undefined, 404]);
      else expect([row?.role, promote.status, removal.status]).toEqual(['OWNER', 200, 403]);
    }
  });

  describe('projects under /organizations/{org_id}/projects/{project_id}', () => {
    const projectOf = async (who: SignedIn, orgId: string) =>
      (await t.http.get(`/organizations/${orgId}/projects`).set(who.auth).expect(200)).body[0].id as string;

    it('GET: any member; another organization’s project or a missing one is 404', async () => {
      const cast = await roleCast(t);
      const projectId = await projectOf(cast.owner, cast.orgId);
      const statuses = {} as Record<Caller, number>;
      for (const caller of CALLERS) {
        statuses[caller] = (
          await t.http.get(`/organizations/${cast.orgId}/projects/${projectId}`).set(cast[caller].auth)
        ).status;
      }
      expect(statuses).toEqual({ owner: 200, admin: 200, member: 200, stranger: 403, otherOwner: 403 });
      const res = await t.http
        .get(`/organizations/${cast.orgId}/projects/${projectId}`)
        .set(cast.member.auth)
        .expect(200);
      expect(res.body).toMatchObject({
        id: projectId,
        org_id: cast.orgId,
        name: 'onboarding',
        description: 'Your onboarding project',
      });
      const foreign = await projectOf(cast.otherOwner, cast.otherOwner.orgId);
      for (const id of [foreign, randomUUID()]) {
        const miss = await t.http.get(`/organizations/${cast.orgId}/projects/${id}`).set(cast.owner.auth).expect(404);
        expect(miss.body).toEqual({ detail: `Project ${id} not found.` });
      }
    });

    it('PATCH: OWNER and ADMIN edit name and description; 409 on a taken name; 422 on bad input', async () => {
      const statuses = await matrix(async (c, who) =>
        t.http
          .patch(`/organizations/${c.orgId}/projects/${await projectOf(c.owner, c.orgId)}`)
          .set(who.auth)
          .send({ name: 'renamed', description: 'New words' }),
      );
      expect(statuses).toEqual({ owner: 200, admin: 200, member: 403, stranger: 403, otherOwner: 403 });
      const cast = await roleCast(t);
      const projectId = await projectOf(cast.owner, cast.orgId);
      const url = `/organizations/${cast.orgId}/projects/${projectId}`;
      const edited = await t.http
        .patch(url)
        .set(cast.admin.auth)
        .send({ name: 'agents', description: 'Line one\nline two' })
        .expect(200);
      expect(edited.body).toMatchObject({ id: projectId, name: 'agents', description: 'Line one\nline two' });
      expect(
        (await t.http.patch(url).set(cast.admin.auth).send({ description: null }).expect(200)).body.description,
      ).toBe('Line one\nline two');
      expect(
        (await t.http.patch(url).set(cast.admin.auth).send({ description: '' }).expect(200)).body.description,
      ).toBe('');
      await t.http
        .post(`/organizations/${cast.orgId}/projects`)
        .set(cast.owner.auth)
        .send({ name: 'taken' })
        .expect(201);
      expect((await t.http.patch(url).set(cast.owner.auth).send({ name: 'taken' }).expect(409)).body).toEqual({
        detail: "A project named 'taken' already exists in this organization.",
      });
      for (const body of [
        { name: '' },
        { name: '-bad-' },
        { name: 'a/b' },
        { description: 'x'.repeat(2001) },
        { description: 'bell\u0007' },
      ]) {
        await t.http.patch(url).set(cast.owner.auth).send(body).expect(422);
      }
      const foreign = await projectOf(cast.otherOwner, cast.otherOwner.orgId);
      await t.http
        .patch(`/organizations/${cast.orgId}/projects/${foreign}`)
        .set(cast.owner.auth)
        .send({ name: 'x1' })
        .expect(404);
      expect(
        (await t.http.get(`/organizations/${cast.otherOwner.orgId}/projects`).set(cast.otherOwner.auth)).body[0].name,
      ).toBe('onboarding');
    });

    it('DELETE: OWNER and ADMIN; answers what it deleted; another organization’s project is 404 and stays', async () => {
      const statuses = await matrix(async (c, who) =>
        t.http.delete(`/organizations/${c.orgId}/projects/${await projectOf(c.owner, c.orgId)}`).set(who.auth),
      );
      expect(statuses).toEqual({ owner: 200, admin: 200, member: 403, stranger: 403, otherOwner: 403 });
      const cast = await roleCast(t);
      const projectId = await projectOf(cast.owner, cast.orgId);
      const foreign = await projectOf(cast.otherOwner, cast.otherOwner.orgId);
      await t.http.delete(`/organizations/${cast.orgId}/projects/${foreign}`).set(cast.owner.auth).expect(404);
      await t.http
        .get(`/organizations/${cast.otherOwner.orgId}/projects/${foreign}`)
        .set(cast.otherOwner.auth)
        .expect(200);
      const res = await t.http
        .delete(`/organizations/${cast.orgId}/projects/${projectId}`)
        .set(cast.admin.auth)
        .expect(200);
      expect(res.body).toEqual({ id: projectId, deleted: { projects: 1 } });
      await t.http.get(`/organizations/${cast.orgId}/projects/${projectId}`).set(cast.owner.auth).expect(404);
    });
  });
});
