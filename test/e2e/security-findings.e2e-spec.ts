import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import jwt from 'jsonwebtoken';
import { ConfigError, loadConfig } from '../../src/config/env';
import { MembershipRole } from '../../src/modules/auth/entities/membership.entity';
import { InsertBatcher } from '../../src/modules/traces/insert-batcher';
import { INSERT_SLOTS, INSERT_SLOTS_PER_PROJECT, TraceWriter } from '../../src/modules/traces/trace-writer';
import { buildSpan, buildTrace } from '../factories/trace.factory';
import { createMember, createTenant, signToken, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';
import { scopedPrefix, TEST_ENV } from '../support/test-env';

/**
 * Issue 10, "secure by default": one test per finding of the attack on a running instance with two
 * organizations (findings 2 and 5 are in security-orgs / security-bounds). Each failed before the fix.
 */
const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);
const secret = () => randomBytes(32).toString('hex');

describe('finding 1: no known secrets ship', () => {
  const production = (env: Record<string, string>) => () => loadConfig({ NODE_ENV: 'production', ...env });

  it('production refuses a known, example or short JWT_SECRET / ADMIN_TOKEN, naming it and how to generate one', () => {
    for (const [name, value] of [
      ['JWT_SECRET', 'change-me'],
      ['JWT_SECRET', 'change-me-to-a-long-random-secret'],
      ['JWT_SECRET', 'x'],
      ['ADMIN_TOKEN', 'change-me'],
      ['ADMIN_TOKEN', 'a'.repeat(31)],
    ]) {
      let error: unknown;
      try {
        production({ JWT_SECRET: secret(), ADMIN_TOKEN: secret(), [name]: value })();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toHaveLength(1);
      expect((error as ConfigError).problems[0]).toMatch(new RegExp(`^${name}: .*openssl rand -hex 32`));
    }
    // Random 32-byte secrets pass; unset turns Bearer auth / operator pages off and is allowed.
    expect(production({ JWT_SECRET: secret(), ADMIN_TOKEN: secret() })().auth.jwtSecret).toHaveLength(64);
    expect(production({})().auth.adminToken).toBeUndefined();
    // One accepted request must fit in one trace.
    expect(() => loadConfig({ BODY_LIMIT_BYTES: '4096', MAX_TRACE_BYTES: '2048' })).toThrow(
      'MAX_TRACE_BYTES: must be at least BODY_LIMIT_BYTES',
    );
    // Development and tests keep working with short secrets.
    expect(loadConfig({ JWT_SECRET: 'dev' }).auth.jwtSecret).toBe('dev');
  });

  it('the API process exits with EX_CONFIG on a known secret in production', async () => {
    const failure = await run(process.execPath, ['dist/src/main.js'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        JWT_SECRET: 'change-me',
        DOTENV_CONFIG_PATH: '/nonexistent',
      },
    }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failure?.code).toBe(78);
    expect(failure?.stderr).toContain('JWT_SECRET: is a known example value');
  });

  it('compose requires the secrets (no defaults) and .env.example ships none', () => {
    const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    expect(compose).not.toMatch(/change-me/);
    expect(compose).toMatch(/JWT_SECRET: \$\{JWT_SECRET:\?/);
    expect(compose).toMatch(/ADMIN_TOKEN: \$\{ADMIN_TOKEN:\?/);
    expect(compose).toContain('ports: ["127.0.0.1:8000:8000"]');
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
    expect(example).toMatch(/^JWT_SECRET=$/m);
    expect(example).toMatch(/^ADMIN_TOKEN=$/m);
    // What `npm run setup` writes (hex of 32 random bytes) passes the production check.
    const setup = readFileSync(join(ROOT, 'scripts', 'setup.sh'), 'utf8');
    expect(setup).toMatch(/JWT_SECRET=\$\(hex 32\)/);
    expect(setup).toMatch(/ADMIN_TOKEN=\$\(hex 32\)/);
  });
});

describe('findings 3, 4, 7, 8 on a running instance', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      RATE_LIMIT_INGEST: '100000',
      RATE_LIMIT_DEFAULT: '100000',
      QUEUE_PREFIX: scopedPrefix('sf'),
    });
  });
  afterAll(() => t?.close());

  describe('finding 3: one tenant cannot degrade another tenant ingestion', () => {
    /** Traces that passed validation before and then failed in PostgreSQL, each as raw JSON. */
    const poison = (): string[] => {
      const base = () => buildTrace();
      return [
        JSON.stringify(base()).replace('"hello"', '"nul \\u0000 inside"'),
        JSON.stringify(base()).replace('"hello"', '"lone \\ud800 surrogate"'),
        JSON.stringify(base()).replace('"hi"', '"low \\udfff first"'),
        JSON.stringify({ ...base(), metadata: { big: 1 } }).replace('"big":1', '"big":1e400'),
        JSON.stringify({
          ...base(),
          spans: [
            buildSpan({ token_usage: { prompt_tokens: 1e300, completion_tokens: 1e300 } }),
            buildSpan({ token_usage: { prompt_tokens: 1e300 } }),
          ],
        }),
        JSON.stringify({
          ...base(),
          spans: [buildSpan({ cost: { total: 1.7e308 } }), buildSpan({ cost: { total: 1.7e308 } })],
        }),
      ];
    };

    it("the attacker's traces are refused at the edge (422) and never fail a batch; the victim's are all accepted", async () => {
      const attacker = await createTenant(t);
      const victim = await createTenant(t);
      const batcher = (t.app.get(TraceWriter) as unknown as { newTraces: { stats: Record<string, number> } }).newTraces;
      const before = { ...batcher.stats };

      const victimTraces = Array.from({ length: 120 }, () => buildTrace());
      const attack = Array.from({ length: 20 }, () => poison()).flat();
      const started = Date.now();
      const [victimAnswers, attackAnswers] = await Promise.all([
        Promise.all(
          victimTraces.map(async (body) => {
            const res = await t.http.post('/traces').set(victim.headers).send(body);
            return { status: res.status, at: Date.now() };
          }),
        ),
        Promise.all(
          attack.map((raw) =>
            t.http
              .post('/traces')
              .set({ ...attacker.headers, 'Content-Type': 'application/json' })
              .send(raw),
          ),
        ),
      ]);
      const seconds = (Math.max(...victimAnswers.map((a) => a.at)) - started) / 1000;
      console.log(
        `finding 3: victim accepted ${victimAnswers.filter((a) => a.status === 202).length}/${victimTraces.length} ` +
          `in ${seconds.toFixed(2)} s (${(victimTraces.length / seconds).toFixed(0)}/s) while ${attack.length} poison traces arrived; ` +
          `batches ${batcher.stats.batches - before.batches}, failed ${batcher.stats.failedBatches - before.failedBatches}`,
      );

      expect(victimAnswers.map((a) => a.status)).toEqual(victimTraces.map(() => 202));
      for (const res of attackAnswers) {
        expect(res.status).toBe(422);
        expect(res.body.detail).toBe('Validation error');
        expect(JSON.stringify(res.body)).not.toMatch(/invalid input syntax|jsonb|out of range for type|Unicode/);
      }
      // Fairness: no write slot was ever spent on a failing batch, and every victim trace is stored.
      expect(batcher.stats.failedBatches - before.failedBatches).toBe(0);
      const stored = await t.http.get('/traces?limit=200').set(victim.headers).expect(200);
      expect(stored.body.total).toBe(victimTraces.length);
      expect((await t.http.get('/traces').set(attacker.headers).expect(200)).body.total).toBe(0);
    });

    it("a tenant whose batches hang in PostgreSQL holds at most its share of write slots; the victim's traces are written meanwhile", async () => {
      const attacker = await createTenant(t);
      const victim = await createTenant(t);
      const batcher = (t.app.get(TraceWriter) as unknown as { newTraces: InsertBatcher<unknown, boolean> }).newTraces;
      // Slow, deterministically: another transaction holds uncommitted rows with the attacker's trace
      // ids, so each batch carrying one waits on that lock until the test rolls back.
      const locked = Array.from({ length: 4 }, () => buildTrace());
      const lock = t.dataSource.createQueryRunner();
      await lock.connect();
      await lock.startTransaction();
      try {
        for (const trace of locked) {
          await lock.query(
            `INSERT INTO traces (trace_id, project_id, name, status, started_at) VALUES ($1, $2, 'lock', 'RUNNING', now())`,
            [trace.trace_id, attacker.projectId],
          );
        }
        const attack = locked.map((body) =>
          t.http
            .post('/traces')
            .set(attacker.headers)
            .send(body)
            .then((r) => r.status),
        );
        while (batcher.pendingItems < locked.length) await new Promise((r) => setTimeout(r, 5));

        expect(batcher.slotsHeldBy(attacker.projectId)).toBe(INSERT_SLOTS_PER_PROJECT);
        expect(batcher.busySlots).toBeLessThan(INSERT_SLOTS);
        for (let i = 0; i < 5; i++) await t.http.post('/traces').set(victim.headers).send(buildTrace()).expect(202);
        expect(batcher.pendingItems).toBe(locked.length); // the attacker's traces are still waiting

        await lock.rollbackTransaction();
        expect(await Promise.all(attack)).toEqual(locked.map(() => 202));
      } finally {
        if (lock.isTransactionActive) await lock.rollbackTransaction();
        await lock.release();
      }
      expect((await t.http.get('/traces').set(victim.headers).expect(200)).body.total).toBe(5);
    });

    it('valid surrogate pairs and large but finite numbers are still accepted', async () => {
      const tenant = await createTenant(t);
      const trace = buildTrace({ input: { emoji: '😀 \u00e9', n: 1.7e308, tiny: 5e-324 } });
      await t.http.post('/traces').set(tenant.headers).send(trace).expect(202);
      const res = await t.http.get(`/traces/${trace.trace_id}`).set(tenant.headers).expect(200);
      expect(res.body.input).toEqual({ emoji: '😀 \u00e9', n: 1.7e308, tiny: 5e-324 });
    });
  });

  describe('finding 7: CORS off by default, security headers on', () => {
    it('reflects no Origin (simple or preflight) and sets helmet headers', async () => {
      const tenant = await createTenant(t);
      const simple = await t.http
        .get('/projects/current')
        .set({ ...tenant.headers, Origin: 'https://evil.example' })
        .expect(200);
      expect(simple.headers['access-control-allow-origin']).toBeUndefined();
      expect(simple.headers['access-control-allow-credentials']).toBeUndefined();
      const preflight = await t.http
        .options('/traces')
        .set({ Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' });
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      expect(simple.headers['x-content-type-options']).toBe('nosniff');
      expect(simple.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(simple.headers['content-security-policy']).toContain("default-src 'self'");
      expect(simple.headers['strict-transport-security']).toBeDefined();
      expect(simple.headers['referrer-policy']).toBe('no-referrer');
      // The HTML pages get the same headers without a CSP (they load their own scripts).
      const docs = await t.http.get('/docs/').expect(200);
      expect(docs.headers['content-security-policy']).toBeUndefined();
      expect(docs.headers['x-content-type-options']).toBe('nosniff');
      expect(simple.headers['x-powered-by']).toBeUndefined();
    });
  });

  describe('finding 8: values, limits and answers', () => {
    it('a NUMERIC score of 1e-400 is refused, and a stored one does not break the summary', async () => {
      const tenant = await createTenant(t);
      const trace = buildTrace();
      await t.http.post('/traces').set(tenant.headers).send(trace).expect(202);
      const res = await t.http
        .post('/evaluations/trace-scores')
        .set(tenant.headers)
        .send({ trace_id: trace.trace_id, name: 'acc', value: '1e-400', data_type: 'NUMERIC' })
        .expect(422);
      expect(JSON.stringify(res.body)).toContain('underflow');
      const ok = await t.http
        .post('/evaluations/trace-scores')
        .set(tenant.headers)
        .send({ trace_id: trace.trace_id, name: 'acc', value: '0.5', data_type: 'NUMERIC' })
        .expect(201);
      await t.http
        .patch(`/evaluations/trace-scores/${ok.body.id}`)
        .set(tenant.headers)
        .send({ value: '1E-999' })
        .expect(422);
      // A value stored before the check existed (written directly, as an old release could have).
      await t.dataSource.query(`UPDATE trace_scores SET value = '1e-400' WHERE id = $1`, [ok.body.id]);
      const summary = await t.http.get('/evaluations/analytics/trace-scores/summary').set(tenant.headers).expect(200);
      expect(JSON.stringify(summary.body)).toContain('acc');
    });

    it('one tags limit everywhere: 100 tags accepted on GET /traces as in bodies, 101 refused everywhere', async () => {
      const tenant = await createTenant(t);
      const tags = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);
      const query = (n: number) =>
        tags(n)
          .map((tag) => `tags=${tag}`)
          .join('&');
      const trace = buildTrace({ tags: tags(100) });
      await t.http.post('/traces').set(tenant.headers).send(trace).expect(202);
      const listed = await t.http
        .get(`/traces?${query(100)}`)
        .set(tenant.headers)
        .expect(200);
      expect(listed.body.total).toBe(1);
      await t.http
        .get(`/traces?${query(25)}`)
        .set(tenant.headers)
        .expect(200);
      const refused = await t.http
        .get(`/traces?${query(101)}`)
        .set(tenant.headers)
        .expect(422);
      expect(refused.body.errors[0]).toEqual({ field: 'tags', message: 'tags must contain no more than 100 elements' });
      await t.http
        .post('/traces')
        .set(tenant.headers)
        .send(buildTrace({ tags: tags(101) }))
        .expect(422);
      await t.http
        .post('/evaluations/trace-runs')
        .set(tenant.headers)
        .send({ metrics: ['confidence'], filters: { tags: tags(101) } })
        .expect(422);
    });

    it('PATCH keeps keys named constructor, prototype or hasOwnProperty as POST does; __proto__ is stripped', async () => {
      const tenant = await createTenant(t);
      const keys = { constructor: 1, prototype: { a: 2 }, hasOwnProperty: 'x', toString: [3] };
      const trace = buildTrace({ metadata: keys });
      await t.http.post('/traces').set(tenant.headers).send(trace).expect(202);
      const posted = await t.http.get(`/traces/${trace.trace_id}`).set(tenant.headers).expect(200);
      expect(posted.body.metadata).toEqual(keys);

      const other = buildTrace();
      await t.http.post('/traces').set(tenant.headers).send(other).expect(202);
      const patched = await t.http
        .patch(`/traces/${other.trace_id}`)
        .set(tenant.headers)
        .send({ metadata: keys, input: { nested: keys } })
        .expect(200);
      expect(patched.body.metadata).toEqual(keys);
      expect(patched.body.input).toEqual({ nested: keys });
      const span = (other.spans ?? [])[0];
      const spanPatched = await t.http
        .patch(`/traces/${other.trace_id}/spans/${span.span_id}`)
        .set(tenant.headers)
        .send({ metadata: keys, output: keys })
        .expect(200);
      expect(spanPatched.body.metadata).toEqual(keys);
      expect(spanPatched.body.output).toEqual(keys);
      const score = await t.http
        .post('/evaluations/trace-scores')
        .set(tenant.headers)
        .send({ trace_id: other.trace_id, name: 'label', value: 'good', data_type: 'CATEGORICAL', metadata: keys })
        .expect(201);
      expect(score.body.metadata).toEqual(keys);
      const scorePatched = await t.http
        .patch(`/evaluations/trace-scores/${score.body.id}`)
        .set(tenant.headers)
        .send({ metadata: keys })
        .expect(200);
      expect(scorePatched.body.metadata).toEqual(keys);

      const polluted = await t.http
        .patch(`/traces/${other.trace_id}`)
        .set({ ...tenant.headers, 'Content-Type': 'application/json' })
        .send('{"metadata":{"__proto__":{"isAdmin":true},"kept":1}}')
        .expect(200);
      expect(polluted.body.metadata).toEqual({ ...keys, kept: 1 });
      // The key spelled with \u escapes is the same key once parsed: stripped too.
      const escaped = await t.http
        .patch(`/traces/${other.trace_id}`)
        .set({ ...tenant.headers, 'Content-Type': 'application/json' })
        .send('{"metadata":{"\\u005f_pro\\u0074o__":{"isAdmin":true},"kept":2}}')
        .expect(200);
      expect(escaped.body.metadata).toEqual({ ...keys, kept: 2 });
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    });

    it('a Bearer token without exp is refused; a sub with NUL gets a 401 without database text', async () => {
      const tenant = await createTenant(t);
      const member = await createMember(t, tenant, MembershipRole.OWNER);
      const noExp = jwt.sign({ sub: member.externalId }, t.config.auth.jwtSecret!, { algorithm: 'HS256' });
      const refused = await t.http
        .get('/projects/current')
        .set({ Authorization: `Bearer ${noExp}`, 'X-Project-ID': tenant.projectId })
        .expect(401);
      expect(refused.body.detail).toContain('exp');
      await t.http.get('/projects/current').set(member.headers).expect(200);

      for (const sub of ['nul\u0000sub', 'bell\u0007', '']) {
        const res = await t.http
          .get('/organizations')
          .set({ Authorization: `Bearer ${signToken(t, sub)}` })
          .expect(401);
        expect(res.body).toEqual({ detail: 'Token has no usable subject (sub).' });
      }
    });

    it('an unknown and a foreign X-Project-ID get the same answer', async () => {
      const mine = await createTenant(t);
      const foreign = await createTenant(t);
      const member = await createMember(t, mine);
      const ask = (projectId: string) =>
        t.http.get('/projects/current').set({ ...member.headers, 'X-Project-ID': projectId });
      const unknownId = randomUUID();
      const [unknown, other] = [await ask(unknownId), await ask(foreign.projectId)];
      expect([unknown.status, other.status]).toEqual([404, 404]);
      expect(unknown.body).toEqual({ detail: `Project ${unknownId} not found.` });
      expect(other.body).toEqual({ detail: `Project ${foreign.projectId} not found.` });
    });
  });
});

describe('finding 7: CORS only for listed origins, never on operator paths', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ CORS_ORIGINS: 'https://app.example, https://two.example', ADMIN_TOKEN: secret() });
  });
  afterAll(() => t?.close());

  it('answers a listed origin, ignores others, and never answers on /admin or /metrics', async () => {
    const tenant: Tenant = await createTenant(t);
    const listed = await t.http
      .get('/projects/current')
      .set({ ...tenant.headers, Origin: 'https://two.example' })
      .expect(200);
    expect(listed.headers['access-control-allow-origin']).toBe('https://two.example');
    const other = await t.http.get('/projects/current').set({ ...tenant.headers, Origin: 'https://evil.example' });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    for (const path of ['/admin/queues', '/admin/queues/api/queues', '/metrics']) {
      const res = await t.http.get(path).set({ Origin: 'https://app.example' });
      expect({ path, acao: res.headers['access-control-allow-origin'] }).toEqual({ path, acao: undefined });
      const preflight = await t.http
        .options(path)
        .set({ Origin: 'https://app.example', 'Access-Control-Request-Method': 'GET' });
      expect({ path, acao: preflight.headers['access-control-allow-origin'] }).toEqual({ path, acao: undefined });
    }
  });
});

describe('finding 4: rate limits cannot be stepped around', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      RATE_LIMIT_DEFAULT: '5',
      RATE_LIMIT_INGEST: '1000',
      PROJECTS_AUTO_CREATED_PER_HOUR: '3',
      QUEUE_PREFIX: scopedPrefix('rl'),
    });
  });
  afterAll(() => t?.close());

  it('counts per credential across projects: new X-Project-Name values do not buy a new budget', async () => {
    const a = await createTenant(t);
    // Projects that exist already in a's organization (no auto-creation involved).
    const names = [a.projectName];
    for (let i = 0; i < 2; i++) {
      const name = `existing-${i}-${randomUUID().slice(0, 6)}`;
      await t.dataSource.query(`INSERT INTO projects (org_id, name) VALUES ($1, $2)`, [a.orgId, name]);
      names.push(name);
    }
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await t.http
        .get('/projects/current')
        .set({ ...a.headers, 'X-Project-Name': names[i % names.length] });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    // Another credential of the same organization has its own budget.
    const member = await createMember(t, a);
    await t.http.get('/projects/current').set(member.headers).expect(200);
  });

  it('caps projects auto-created per key per hour with a 429 whose Retry-After is the rest of the hour', async () => {
    const a = await createTenant(t);
    const created: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await t.http
        .post('/traces')
        .set({ ...a.headers, 'X-Project-Name': `auto-${i}` })
        .send(buildTrace());
      created.push(res.status);
      if (res.status === 429) {
        expect(res.body.error).toBe('Project creation limit exceeded: 3 new projects per API key per 1 hour');
        const retryAfter = Number(res.headers['retry-after']);
        expect(retryAfter).toBeGreaterThan(3500);
        expect(retryAfter).toBeLessThanOrEqual(3600);
      }
    }
    expect(created).toEqual([202, 202, 202, 429]);
    const projects = await t.dataSource.query(`SELECT name FROM projects WHERE org_id = $1 ORDER BY name`, [a.orgId]);
    expect(projects.map((p: { name: string }) => p.name)).toEqual([a.projectName, 'auto-0', 'auto-1', 'auto-2'].sort());
    // Existing projects still work for the key.
    await t.http
      .post('/traces')
      .set({ ...a.headers, 'X-Project-Name': 'auto-1' })
      .send(buildTrace())
      .expect(202);
  });

  it('management routes count per user: one user exhausting DELETEs does not block another user revoking a key', async () => {
    const a = await createTenant(t);
    const junk = await createMember(t, a, MembershipRole.ADMIN);
    const owner = await createMember(t, a, MembershipRole.OWNER);
    for (let i = 0; i < 5; i++) {
      await t.http
        .delete(`/organizations/${a.orgId}/api-keys/${randomUUID()}`)
        .set({ Authorization: junk.headers.Authorization })
        .expect(404);
    }
    await t.http
      .delete(`/organizations/${a.orgId}/api-keys/${randomUUID()}`)
      .set({ Authorization: junk.headers.Authorization })
      .expect(429);
    await t.http
      .delete(`/organizations/${a.orgId}/api-keys/${a.apiKeyId}`)
      .set({ Authorization: owner.headers.Authorization })
      .expect(204);
    await t.http.get('/projects/current').set(a.headers).expect(401);
  });
});

describe('finding 4: a project counter across credentials; auto-creation off; exp optional when configured', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      RATE_LIMIT_DEFAULT: '2',
      RATE_LIMIT_PROJECT_FACTOR: '2',
      PROJECTS_AUTO_CREATED_PER_HOUR: '0',
      JWT_REQUIRE_EXP: 'false',
      QUEUE_PREFIX: scopedPrefix('pf'),
    });
  });
  afterAll(() => t?.close());

  it("a project's counter allows RATE_LIMIT_PROJECT_FACTOR times the limit across all its credentials", async () => {
    const a = await createTenant(t);
    const [m1, m2] = [await createMember(t, a), await createMember(t, a)];
    await t.http.get('/projects/current').set(a.headers).expect(200);
    await t.http.get('/projects/current').set(a.headers).expect(200);
    await t.http.get('/projects/current').set(m1.headers).expect(200);
    await t.http.get('/projects/current').set(m1.headers).expect(200);
    const limited = await t.http.get('/projects/current').set(m2.headers).expect(429);
    expect(limited.body.error).toBe('Rate limit exceeded for this project: 4 per 1 minute');
  });

  it('PROJECTS_AUTO_CREATED_PER_HOUR=0 turns auto-creation off with a 422 naming the variable', async () => {
    const a = await createTenant(t);
    const res = await t.http
      .get('/projects/current')
      .set({ ...a.headers, 'X-Project-Name': 'not-yet' })
      .expect(422);
    expect(res.body.detail).toContain('PROJECTS_AUTO_CREATED_PER_HOUR=0');
    await t.http.get('/projects/current').set(a.headers).expect(200);
  });

  it('JWT_REQUIRE_EXP=false accepts a token without exp', async () => {
    const a = await createTenant(t);
    const member = await createMember(t, a);
    const noExp = jwt.sign({ sub: member.externalId }, t.config.auth.jwtSecret!, { algorithm: 'HS256' });
    await t.http
      .get('/projects/current')
      .set({ Authorization: `Bearer ${noExp}`, 'X-Project-ID': a.projectId })
      .expect(200);
  });
});

describe('finding 4: Retry-After is the real time to the next allowed request', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      RATE_LIMIT_DEFAULT: '2',
      RATE_LIMIT_WINDOW_MS: '2000',
      QUEUE_PREFIX: scopedPrefix('ra'),
    });
  });
  afterAll(() => t?.close());

  it('a client that waits Retry-After seconds is let through', async () => {
    const a = await createTenant(t);
    await t.http.get('/projects/current').set(a.headers).expect(200);
    await t.http.get('/projects/current').set(a.headers).expect(200);
    const limited = await t.http.get('/projects/current').set(a.headers).expect(429);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);
    await new Promise((r) => setTimeout(r, retryAfter * 1000 + 50));
    await t.http.get('/projects/current').set(a.headers).expect(200);
  });
});

// TEST_ENV keeps booting: its JWT secret is for tests only (NODE_ENV=test).
it('TEST_ENV is not production, so its short test secret is accepted', () => {
  expect(TEST_ENV.NODE_ENV).toBe('test');
  expect(() => loadConfig({ ...TEST_ENV })).not.toThrow();
});
