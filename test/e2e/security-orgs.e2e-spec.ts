import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MembershipRole } from '../../src/modules/auth/entities/membership.entity';
import { createMember, createTenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';
import { TEST_ENV } from '../support/test-env';

/**
 * Issue 10, finding 2: organization names can be squatted. Names are not unique (any user may create
 * any name), so operator tools address organizations by id, or by a name that matches exactly one
 * organization the operator can vouch for; they create nothing unless told to, and say so.
 */
const ROOT = join(__dirname, '..', '..');
const execFileAsync = promisify(execFile);

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return execFileAsync(process.execPath, ['dist/src/cli.js', 'create-api-key', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...TEST_ENV, DOTENV_CONFIG_PATH: '/nonexistent' },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

describe('finding 2: organizations are addressed by id where names can collide', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  const keysOf = async (orgId: string) =>
    Number((await t.dataSource.query(`SELECT count(*)::int AS n FROM api_keys WHERE org_id = $1`, [orgId]))[0].n);
  const orgsNamed = async (name: string) =>
    (await t.dataSource.query(`SELECT id FROM organizations WHERE name = $1`, [name])) as { id: string }[];

  it("a squatter's organization is never picked by name: the CLI refuses, minting nothing", async () => {
    const name = `acme-corp-${randomUUID().slice(0, 8)}`;
    const squatterHome = await createTenant(t);
    const squatter = await createMember(t, squatterHome, MembershipRole.OWNER);
    const created = await t.http
      .post('/organizations')
      .set({ Authorization: squatter.headers.Authorization })
      .send({ name })
      .expect(201);

    const res = await cli(['--org', name, '--project', 'prod', '--create-project']);
    expect(res.code).toBe(65);
    expect(res.stderr).toContain(`An organization named '${name}' exists, but the operator is not a member of it`);
    expect(res.stdout).toBe('');
    expect(await keysOf(created.body.id)).toBe(0);
    // Addressing it by id is an explicit choice, and works.
    const byId = await cli(['--org-id', created.body.id, '--project', 'prod', '--create-project', '--json']);
    expect(byId.code).toBe(0);
    expect(JSON.parse(byId.stdout)).toMatchObject({ org_id: created.body.id, created: ['project'] });
  });

  it('a typo creates nothing unless --create-org is given, and then it says so', async () => {
    const name = `Demoo-${randomUUID().slice(0, 8)}`;
    const refused = await cli(['--org', name, '--project', 'demo']);
    expect(refused.code).toBe(65);
    expect(refused.stderr).toContain(`No organization named '${name}'. Pass --create-org to create it.`);
    expect(await orgsNamed(name)).toEqual([]);

    const noProject = await cli(['--org', name, '--create-org', '--project', 'demo']);
    expect(noProject.code).toBe(65);
    expect(noProject.stderr).toContain("A new organization would have no project 'demo': pass --create-project too.");
    expect(await orgsNamed(name)).toEqual([]);

    const made = await cli(['--org', name, '--create-org', '--project', 'demo', '--create-project']);
    expect(made.code).toBe(0);
    expect(made.stdout).toContain(`Created organization '${name}' (--create-org).`);
    expect(made.stdout).toContain(`Created project 'demo' (--create-project).`);
    expect(await orgsNamed(name)).toHaveLength(1);
    // The same command again finds both (no members: made by operator tools) and creates nothing.
    const again = await cli(['--org', name, '--project', 'demo', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).created).toEqual([]);
    expect(await orgsNamed(name)).toHaveLength(1);
  });

  it('a name matching several organizations the operator could mean is refused as ambiguous', async () => {
    const name = `twin-${randomUUID().slice(0, 8)}`;
    const operator = `operator-${randomUUID()}`;
    const first = await createTenant(t, { orgName: name });
    const second = await createTenant(t, { orgName: name });
    const res = await cli(['--org', name, '--project', first.projectName, '--user', operator]);
    expect(res.code).toBe(65);
    expect(res.stderr).toContain(
      `matches 2 organizations (${first.orgId}, ${second.orgId}); address it by id (--org-id)`,
    );
    // Once the operator belongs to one of them and another user owns the other, the name is clear.
    await createMember(t, second, MembershipRole.OWNER);
    await t.dataSource.query(`INSERT INTO users (external_id) VALUES ($1)`, [operator]);
    await t.dataSource.query(
      `INSERT INTO memberships (user_id, org_id, role) SELECT id, $2, 'OWNER' FROM users WHERE external_id = $1`,
      [operator, first.orgId],
    );
    const clear = await cli(['--org', name, '--project', first.projectName, '--user', operator, '--json']);
    expect(clear.code).toBe(0);
    expect(JSON.parse(clear.stdout).org_id).toBe(first.orgId);
  });

  it('INIT_* never lands in a squatted organization, and creates only with INIT_CREATE=true', async () => {
    const name = `Init-${randomUUID().slice(0, 8)}`;
    const squatterHome = await createTenant(t);
    const squatter = await createMember(t, squatterHome, MembershipRole.OWNER);
    const squatted = await t.http
      .post('/organizations')
      .set({ Authorization: squatter.headers.Authorization })
      .send({ name })
      .expect(201);
    const apiKey = `sk_pp_${randomBytes(32).toString('hex')}`;
    const env = { INIT_ORG_NAME: name, INIT_PROJECT_NAME: 'demo', INIT_API_KEY: apiKey };

    // prepare (what `npm run setup` and compose's migrate step run) refuses, naming the reason.
    const refused = await execFileAsync(process.execPath, ['dist/src/prepare.js'], {
      cwd: ROOT,
      env: { ...process.env, ...TEST_ENV, ...env, DOTENV_CONFIG_PATH: '/nonexistent' },
    }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(refused?.code).toBe(1);
    expect(refused?.stderr).toContain(`An organization named '${name}' exists, but the operator is not a member of it`);
    expect(await keysOf(squatted.body.id)).toBe(0);

    const prepared = await execFileAsync(process.execPath, ['dist/src/prepare.js'], {
      cwd: ROOT,
      env: { ...process.env, ...TEST_ENV, ...env, INIT_CREATE: 'true', DOTENV_CONFIG_PATH: '/nonexistent' },
    });
    expect(prepared.stdout).toContain(`created organization '${name}' (INIT_CREATE=true)`);
    expect(prepared.stdout).toContain(`created project 'demo' (INIT_CREATE=true)`);
    const booted = await createTestApp(env); // later boots find it: no INIT_CREATE needed
    try {
      const orgs = await orgsNamed(name);
      expect(orgs).toHaveLength(2);
      const res = await booted.http
        .get('/projects/current')
        .set({ 'X-API-Key': apiKey, 'X-Project-Name': 'demo' })
        .expect(200);
      expect(res.body.org_id).not.toBe(squatted.body.id);
      expect(await keysOf(squatted.body.id)).toBe(0);
    } finally {
      await booted.close();
    }
  });
});
