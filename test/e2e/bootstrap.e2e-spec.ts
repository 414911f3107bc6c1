import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApiKeyEntity } from '../../src/modules/auth/entities/api-key.entity';
import { MembershipEntity } from '../../src/modules/auth/entities/membership.entity';
import { OrganizationEntity } from '../../src/modules/auth/entities/organization.entity';
import { ProjectEntity } from '../../src/modules/auth/entities/project.entity';
import { createTestApp, TestApp } from '../support/test-app';
import { TEST_ENV } from '../support/test-env';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

describe('bootstrap and command line', () => {
  const orgName = `Init ${randomUUID()}`;
  const apiKey = `sk_pp_${randomBytes(32).toString('hex')}`;
  const initEnv = {
    INIT_ORG_NAME: orgName,
    INIT_PROJECT_NAME: 'demo',
    INIT_API_KEY: apiKey,
    INIT_USER_EXTERNAL_ID: `owner-${orgName}`,
    INIT_CREATE: 'true',
  };

  it('INIT_* variables idempotently ensure an organization, project, key and owner at boot', async () => {
    const first: TestApp = await createTestApp(initEnv);
    await first.close();
    const t = await createTestApp(initEnv); // a second boot must not duplicate anything
    try {
      const orgs = await t.dataSource.getRepository(OrganizationEntity).findBy({ name: orgName });
      expect(orgs).toHaveLength(1);
      expect(await t.dataSource.getRepository(ProjectEntity).countBy({ orgId: orgs[0].id, name: 'demo' })).toBe(1);
      expect(await t.dataSource.getRepository(ApiKeyEntity).countBy({ orgId: orgs[0].id })).toBe(1);
      expect(
        await t.dataSource.getRepository(MembershipEntity).countBy({ orgId: orgs[0].id, role: 'OWNER' as never }),
      ).toBe(1);
      const res = await t.http
        .get('/projects/current')
        .set({ 'X-API-Key': apiKey, 'X-Project-Name': 'demo' })
        .expect(200);
      expect(res.body.org_id).toBe(orgs[0].id);
    } finally {
      await t.close();
    }
  });

  it('the CLI mints a key that works, printing it once', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        'dist/src/cli.js',
        'create-api-key',
        '--org',
        orgName,
        '--user',
        `owner-${orgName}`,
        '--project',
        'cli',
        '--create-project',
        '--json',
      ],
      {
        cwd: ROOT,
        env: { ...process.env, ...TEST_ENV },
      },
    );
    const out = JSON.parse(stdout);
    expect(out.api_key).toMatch(/^sk_pp_[0-9a-f]{64}$/);
    expect(out.created).toEqual(['project']);
    const t = await createTestApp();
    try {
      const res = await t.http
        .get('/projects/current')
        .set({ 'X-API-Key': out.api_key, 'X-Project-Name': 'cli' })
        .expect(200);
      expect(res.body.id).toBe(out.project_id);
    } finally {
      await t.close();
    }
  });

  it('the API refuses to start on bad configuration, naming each bad variable', async () => {
    const failure = await run(process.execPath, ['dist/src/main.js'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, PORT: 'eighty', REDIS_URL: 'http://nope', DOTENV_CONFIG_PATH: '/nonexistent' },
    }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failure).not.toBeNull();
    expect(failure!.code).toBe(78);
    expect(failure!.stderr).toContain('Invalid configuration');
    expect(failure!.stderr).toContain('PORT');
    expect(failure!.stderr).toContain('REDIS_URL');
  });

  it('starts with blank optional variables, as .env.example and compose leave them', async () => {
    const blanks = {
      OPENAI_BASE_URL: '',
      ANTHROPIC_BASE_URL: '',
      GEMINI_BASE_URL: '',
      JWT_JWKS_URI: '',
      INIT_API_KEY: '',
    };
    const { stdout } = await run(
      process.execPath,
      ['-e', "require('./dist/src/config/dotenv'); require('./dist/src/app.module'); console.log('loaded')"],
      { cwd: ROOT, env: { PATH: process.env.PATH, ...blanks, DOTENV_CONFIG_PATH: '/nonexistent' } },
    );
    expect(stdout.trim()).toBe('loaded');
  });
});
