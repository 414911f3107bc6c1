import { ThrottlerStorage } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { demoTraces } from '../../scripts/demo/traces';
import { EXAMPLE_SESSION_ID, EXAMPLE_TRACE_ID, REQUEST_EXAMPLES } from '../../src/bootstrap/openapi-request-examples';
import type { Schema } from '../../src/bootstrap/openapi-success-examples';
import { MembershipRole } from '../../src/modules/auth/entities/membership.entity';
import { LargeReadLimiter } from '../../src/modules/traces/large-read-limiter';
import { buildSpan, buildTrace } from '../factories/trace.factory';
import { scriptedJudgeTestEnv } from '../factories/eval-run.factory';
import { JudgeServer, startJudgeServer } from '../support/judge-server';
import { createMember, createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

type Operation = {
  'x-rate-limit'?: string;
  security?: Record<string, unknown>[];
  requestBody?: { content: Record<string, { example?: unknown }> };
  responses: Record<string, { content?: Record<string, { examples?: Record<string, { value: unknown }> }> }>;
};

/** Malformed values of path ids that are not UUIDs. */
const BAD_IDS: Record<string, string> = { session_id: 's'.repeat(256), name: 'Bad-Name', version: '0' };
const UUIDS = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
/** Error bodies compared with the ids blanked: an example's ids are placeholders. */
const shape = (body: unknown) => JSON.parse(JSON.stringify(body).replace(UUIDS, '<id>'));

/**
 * Every example the served OpenAPI document gives is replayed against a running instance holding
 * the demo data (`npm run demo`'s traces): each example request body gets the route's documented
 * success status, and each per-status error example is provoked and compared with what comes back.
 * The 429 examples are replayed by the next describe, on an instance with the default limits.
 */
/**
 * Example bodies that succeed only with state no example can carry: a login code names the caller's
 * own organization and project, an exchange a code issued seconds before (test/e2e/cli-login covers both).
 */
const NEEDS_LIVE_STATE = new Set(['POST /cli/auth/codes', 'POST /cli/auth/exchange']);
/** This instance's BODY_LIMIT_BYTES: a body one byte over it provokes the pipeline's 413 on any route. */
const BODY_LIMIT = 1024 * 1024;

describe('OpenAPI examples replayed against a running instance with the demo data', () => {
  let judge: JudgeServer;
  let t: TestApp;
  let tenant: Tenant;
  let owner: Record<string, string>;
  let outsider: Record<string, string>;
  let paths: Record<string, Record<string, Operation>>;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    judge = await startJudgeServer();
    t = await createTestApp({ ...scriptedJudgeTestEnv(judge.baseUrl, 'oa'), BODY_LIMIT_BYTES: String(BODY_LIMIT) });
    tenant = await createTenant(t);
    owner = (await createMember(t, tenant, MembershipRole.OWNER)).headers;
    const other = await createTenant(t);
    outsider = { Authorization: (await createMember(t, other)).headers.Authorization };
    const traces = demoTraces(`replay-${randomUUID().slice(0, 6)}`);
    for (const trace of traces) await t.http.post('/traces').set(tenant.headers).send(trace).expect(202);
    ids.trace_id = traces[0].trace_id;
    ids.session_id = traces.find((tr) => tr.session_id)!.session_id!;
    ids.span_id = traces[0].spans[0].span_id;
    ids.session_id = traces[0].session_id!;
    ids.org_id = tenant.orgId;
    ids.key_id = tenant.apiKeyId;
    ids.project_id = tenant.projectId;
    ids.user_id = (await createMember(t, tenant, MembershipRole.MEMBER)).userId;
    ids.invitation_id = (
      await t.http
        .post(`/organizations/${tenant.orgId}/invitations`)
        .set({ Authorization: owner.Authorization })
        .send({ email: `seed-${randomUUID()}@example.com` })
        .expect(201)
    ).body.id;
    ids.score_id = (
      await t.http
        .post('/evaluations/trace-scores')
        .set(tenant.headers)
        .send({ trace_id: ids.trace_id, name: 'seed', value: '1' })
        .expect(201)
    ).body.id;
    ids.run_id = (
      await t.http
        .post('/evaluations/trace-runs/batch')
        .set(tenant.headers)
        .send({ metrics: ['confidence'], trace_ids: [ids.trace_id] })
        .expect(202)
    ).body.id;
    // Custom metrics are addressed by name: the create example makes this one before the others run.
    ids.name = 'refund_policy';
    ids.version = '1';
    ids.monitor_id = (
      await t.http
        .post('/evaluations/monitors')
        .set(tenant.headers)
        .send({ name: 'seed', target_type: 'TRACE', metrics: ['confidence'], cadence: 'daily' })
        .expect(201)
    ).body.id;
    paths = (await t.http.get('/openapi.json').expect(200)).body.paths;
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await judge?.close();
  });

  const operations = () =>
    Object.entries(paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({ method, path, op, name: `${method.toUpperCase()} ${path}` })),
    );
  const fill = (path: string, overrides: Record<string, string> = {}) =>
    path.replace(/\{([^}]+)\}/g, (_, p: string) => overrides[p] ?? ids[p]);
  const kind = (op: Operation) =>
    op.security?.some((s) => 'ProjectName' in s) ? 'project' : op.security?.length ? 'user' : 'none';
  const bodyOf = (op: Operation) => {
    const example = op.requestBody?.content['application/json']?.example;
    return example === undefined
      ? undefined
      : JSON.parse(
          JSON.stringify(example)
            .replaceAll(EXAMPLE_TRACE_ID, ids.trace_id)
            .replaceAll(EXAMPLE_SESSION_ID, ids.session_id),
        );
  };
  const send = (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const agent = t.http as unknown as Record<string, (p: string) => import('supertest').Test>;
    const req = agent[method](path).set(headers);
    return body === undefined ? req : req.send(body as object);
  };
  const examplesOf = (op: Operation, status: string) =>
    Object.entries(op.responses[status]?.content?.['application/json']?.examples ?? {});

  it('every route with a request body documents an example of it', () => {
    const missing = operations()
      .filter(({ op }) => op.requestBody && bodyOf(op) === undefined)
      .map(({ name }) => name);
    expect(missing).toEqual([]);
  });

  it('each example request body, sent as it is, gets the documented success status', async () => {
    const results: string[] = [];
    for (const { method, path, op, name } of operations()) {
      const body = bodyOf(op);
      if (body === undefined || NEEDS_LIVE_STATE.has(name)) continue;
      // Billing routes a self-hosted instance refuses by design document their 422 as the answer.
      const success = Object.keys(op.responses).filter((s) => s.startsWith('2'));
      if (success.length === 0) success.push('422');
      expect(success).toHaveLength(1);
      // Retention changes take a Bearer OWNER or ADMIN (an ingest key cannot shorten what is kept).
      const headers =
        name === 'PATCH /projects/current'
          ? owner
          : kind(op) === 'project'
            ? tenant.headers
            : { Authorization: owner.Authorization };
      const res = await send(method, fill(path), headers, body);
      results.push(
        `${name} → ${res.status}${String(res.status) === success[0] ? '' : ` (documented ${success[0]}): ${JSON.stringify(res.body)}`}`,
      );
    }
    expect(results.filter((r) => r.includes('documented'))).toEqual([]);
    expect(results).toHaveLength(Object.keys(REQUEST_EXAMPLES).length - NEEDS_LIVE_STATE.size);
  });

  it('each documented error example is what the route answers', async () => {
    const mismatches: string[] = [];
    let checked = 0;
    for (const { method, path, op, name } of operations()) {
      const body = bodyOf(op);
      const project = kind(op) === 'project';
      const member = project ? owner : { Authorization: owner.Authorization };
      const provoke: Record<string, () => Promise<import('supertest').Response>> = {
        '401 invalid_key': () =>
          send(
            method,
            fill(path),
            { 'X-API-Key': `sk_pp_${'0'.repeat(64)}`, 'X-Project-Name': tenant.projectName },
            body,
          ),
        '401 missing': () => send(method, fill(path), {}, body),
        '403 not_member': () =>
          send(method, fill(path), project ? { ...outsider, 'X-Project-ID': tenant.projectId } : outsider, body),
        '404 project': () => send(method, fill(path), { ...owner, 'X-Project-ID': randomUUID() }, body),
        '422 project_scope': () => send(method, fill(path), { 'X-API-Key': tenant.apiKey }, body),
        '403 api_key': () => send(method, fill(path), tenant.headers, body),
        '422 no_name': () => send(method, fill(path), member, {}),
        // The CLI login routes: the example body without one of its fields, or with a code never issued.
        '422 no_challenge': () => send(method, fill(path), member, { ...(body as object), code_challenge: undefined }),
        '422 no_verifier': () => send(method, fill(path), {}, { ...(body as object), code_verifier: undefined }),
        '401 used_code': () => send(method, fill(path), {}, body),
        // Answered by the HTTP pipeline before the route: no credentials needed.
        '413 body': () => send(method, fill(path), member, { pad: 'x'.repeat(BODY_LIMIT) }),
        '415 not_json': () => send(method, fill(path), { ...member, 'Content-Type': 'text/plain' }, 'not json'),
      };
      for (const status of ['401', '403', '404', '413', '415', '422']) {
        for (const [exampleName, { value }] of examplesOf(op, status)) {
          const key = `${status} ${exampleName}`;
          // A route's own 413s (more spans, a large page) are provoked in their routes' specs.
          if ((status === '413' || status === '415') && !provoke[key]) continue;
          const lastParam = [...path.matchAll(/\{([^}]+)\}/g)].pop()?.[1] ?? '';
          const request =
            provoke[key] ??
            (exampleName === 'bad_id'
              ? () => send(method, fill(path, { [lastParam]: BAD_IDS[lastParam] ?? 'not-a-uuid' }), member, body)
              : path.includes(`{${exampleName}}`)
                ? () => send(method, fill(path, { [exampleName]: randomUUID() }), member, body)
                : () => send(method, fill(path), member, { ...(body as object), [exampleName]: randomUUID() }));
          const res = await request();
          checked += 1;
          if (String(res.status) !== status || JSON.stringify(shape(res.body)) !== JSON.stringify(shape(value)))
            mismatches.push(`${name} ${key}: got ${res.status} ${JSON.stringify(res.body)}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });
});

/**
 * Every route's documented 429, provoked for real on an instance with the default limits: one request
 * shows which counters the route increments (the credential's and the project's, in Redis); the
 * credential's is then spent up to its limit through the same storage, and the next request must
 * answer the documented body (the seconds of Retry-After aside) with a Retry-After header.
 */
describe('OpenAPI 429 examples replayed with the default rate limits', () => {
  let t: TestApp;
  let tenant: Tenant;
  let owner: Record<string, string>;
  let paths: Record<string, Record<string, Operation>>;
  type Increment = ThrottlerStorage['increment'];
  const calls: Parameters<Increment>[] = [];
  let increment: Increment;
  let redis: Redis;

  beforeAll(async () => {
    t = await createTestApp();
    tenant = await createTenant(t);
    owner = (await createMember(t, tenant, MembershipRole.OWNER)).headers;
    const storage = t.app.get<ThrottlerStorage>(ThrottlerStorage, { strict: false });
    increment = storage.increment.bind(storage);
    redis = (storage as unknown as { redis: Redis }).redis;
    storage.increment = (...args: Parameters<Increment>) => {
      calls.push(args);
      return increment(...args);
    };
    paths = (await t.http.get('/openapi.json').expect(200)).body.paths;
  });
  afterAll(() => t?.close());

  const seconds = (body: unknown) =>
    JSON.parse(JSON.stringify(body).replace(/Retry after \d+ seconds?\./g, 'Retry after N seconds.'));

  it('each route answers its documented 429 once its limit is spent', async () => {
    const mismatches: string[] = [];
    let checked = 0;
    for (const [path, item] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(item)) {
        const examples = Object.entries(op.responses['429']?.content?.['application/json']?.examples ?? {});
        const project = op.security?.some((x) => 'ProjectName' in x);
        const headers = project ? tenant.headers : { Authorization: owner.Authorization };
        const url = path.replace(/\{[^}]+\}/g, () => randomUUID());
        const agent = t.http as unknown as Record<string, (p: string) => import('supertest').Test>;
        for (const [name, { value }] of examples) {
          if (name !== 'rate_limited') continue;
          calls.length = 0;
          let res = await agent[method](url).set(headers);
          if (res.status !== 429) {
            for (const args of calls.filter(([key]) => !key.includes('project:'))) {
              for (let i = 0; i < args[2]; i++) await increment(...args);
            }
            // Ingestion is a token bucket per project (IngestRateGuard), not a window counter:
            // leave it a second's worth of tokens below empty, so no refill lets the next one through.
            if (op['x-rate-limit'] === 'ingest') {
              await redis.hset(`bucket:ingest:${tenant.projectId}`, 'tokens', '-100', 'at', String(Date.now()));
            }
            res = await agent[method](url).set(headers);
          }
          checked += 1;
          if (
            res.status !== 429 ||
            !res.headers['retry-after'] ||
            JSON.stringify(seconds(res.body)) !== JSON.stringify(seconds(value))
          )
            mismatches.push(
              `${method.toUpperCase()} ${path}: got ${res.status} ${JSON.stringify(res.body)}, documented ${JSON.stringify(value)}`,
            );
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(checked).toBeGreaterThan(30);
  });

  it('GET /traces/{trace_id} answers its documented large_reads 429 while every large-read permit is held', async () => {
    const big = buildTrace({ spans: [buildSpan({ input: { blob: 'x'.repeat(1_100_000) } })] });
    const fresh = await createTenant(t);
    await t.http.post('/traces').set(fresh.headers).send(big).expect(202);
    const documented = paths['/traces/{trace_id}'].get.responses['429'].content!['application/json'].examples!;
    const limiter = t.app.get(LargeReadLimiter);
    const held = Array.from({ length: limiter.permits }, () => limiter.tryAcquire()!);
    try {
      const res = await t.http.get(`/traces/${big.trace_id}`).set(fresh.headers).expect(429);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.body).toEqual(documented.large_reads.value);
    } finally {
      held.forEach((release) => release());
    }
  });
});

/**
 * The served document, read as a newcomer reads Swagger UI: every error example says what its status
 * means (no "not found" under 413, no rate-limit text outside 429), every success example is a value
 * a real answer could hold (no "string" placeholders; a PENDING run has not completed), and the
 * operations are grouped by what they are.
 */
describe('OpenAPI document read as a newcomer', () => {
  let t: TestApp;
  let doc: {
    paths: Record<string, Record<string, Operation & { tags?: string[] }>>;
    components: { schemas: Record<string, Schema> };
  };
  beforeAll(async () => {
    t = await createTestApp();
    doc = (await t.http.get('/openapi.json').expect(200)).body;
  });
  afterAll(() => t?.close());

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, op })),
    );
  /** What an error body of each status must (and must not) say. */
  const MEANS: Record<string, RegExp> = {
    '401': /credentials|token|API key|code is invalid/i,
    '403': /not a member|sent to a different email|OWNER or ADMIN/,
    '404': /not found/,
    '409': /already|still|cannot be used/,
    '413': /larger than|more than|at most/,
    '415': /Content-Type must be application\/json/,
    '422': /^Validation error$|^Validation failed|required|must|unknown/i,
    '429': /Retry after (1 second|\d+ seconds)\.$/,
  };

  it('every error response has examples, each one saying what its status means', () => {
    const wrong: string[] = [];
    for (const { name, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        const media = response.content?.['application/json'];
        if (Number(status) < 400 || !media || name.startsWith('GET /health')) continue;
        const examples = Object.entries(media.examples ?? {});
        if (examples.length === 0) wrong.push(`${name} ${status}: no example (Swagger UI would show the schema's)`);
        for (const [example, { value }] of examples) {
          const text = JSON.stringify(value);
          const detail = String((value as { detail?: string }).detail ?? '');
          if (!MEANS[status]?.test(detail)) wrong.push(`${name} ${status} ${example}: ${text}`);
          if (status !== '429' && /Rate limit|Retry after/.test(text))
            wrong.push(`${name} ${status} ${example}: 429 text`);
          if (status !== '404' && /not found/.test(text)) wrong.push(`${name} ${status} ${example}: 404 text`);
          if (/Retry after 1 seconds|at most 1 reads/.test(text)) wrong.push(`${name} ${status} ${example}: grammar`);
        }
      }
    }
    expect(wrong).toEqual([]);
    const error = doc.components.schemas.ErrorResponseDto.properties!;
    expect(Object.values(error).filter((p) => p.example !== undefined)).toEqual([]);
  });

  it('every success answer has an example that fits its schema, with no placeholders, and a PENDING run is not completed', () => {
    const wrong: string[] = [];
    for (const { name, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        const media = response.content?.['application/json'] as { example?: unknown; schema?: Schema } | undefined;
        if (!status.startsWith('2') || !media?.schema) continue;
        if (media.example === undefined) {
          wrong.push(`${name} ${status}: no example`);
          continue;
        }
        wrong.push(...misfits(media.example, media.schema, doc.components.schemas, `${name} ${status}`));
        const text = JSON.stringify(media.example);
        if (/"string"|"2019-|"3fa85f64/.test(text))
          wrong.push(`${name} ${status}: a placeholder: ${text.slice(0, 200)}`);
        for (const pending of findAll(media.example, (o) => o.status === 'PENDING'))
          if ('completed_at' in pending && pending.completed_at !== null)
            wrong.push(`${name} ${status}: a PENDING object with completed_at`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('groups the operations by what they are: no catch-all tag, each tag one family of paths', () => {
    const byTag = new Map<string, Set<string>>();
    for (const { name, op } of operations())
      for (const tag of op.tags ?? ['(none)']) {
        const family = name.split(' ')[1].split('/').slice(0, 3).join('/').replace(/\{.*$/, '');
        byTag.set(tag, (byTag.get(tag) ?? new Set()).add(family));
      }
    expect([...byTag.keys()]).not.toContain('evaluations');
    expect([...byTag.keys()]).not.toContain('scores');
    expect([...byTag.keys()]).toEqual(
      expect.arrayContaining(['trace runs', 'session runs', 'monitors', 'judge providers', 'metrics']),
    );
    expect(byTag.get('trace runs')).toEqual(new Set(['/evaluations/trace-runs']));
    expect(byTag.get('monitors')).toEqual(new Set(['/evaluations/monitors']));
  });
});

/** Where `value` does not fit `schema` (types, required properties, enums, null only where nullable). */
function misfits(value: unknown, raw: Schema, schemas: Record<string, Schema>, at: string): string[] {
  const schema: Schema = raw.$ref ? schemas[raw.$ref.split('/').pop()!] : raw;
  if (schema.allOf?.length === 1) return misfits(value, { ...schema.allOf[0], nullable: schema.nullable }, schemas, at);
  const variants = schema.oneOf ?? schema.anyOf;
  if (variants)
    return variants.some((v) => misfits(value, v, schemas, at).length === 0) ? [] : [`${at}: fits no variant`];
  if (value === null) return schema.nullable || raw.nullable ? [] : [`${at}: null where not nullable`];
  if (schema.enum && !schema.enum.includes(value))
    return [`${at}: ${JSON.stringify(value)} not in ${schema.enum.join('|')}`];
  const type = Array.isArray(value) ? 'array' : typeof value;
  const expected = schema.type === 'integer' ? 'number' : schema.type;
  if (expected && expected !== type) return [`${at}: ${type} where ${schema.type}`];
  if (schema.type === 'integer' && !Number.isInteger(value)) return [`${at}: ${String(value)} is not an integer`];
  if (Array.isArray(value))
    return value.flatMap((v, i) => (schema.items ? misfits(v, schema.items, schemas, `${at}[${i}]`) : []));
  if (type === 'object' && schema.properties) {
    const obj = value as Record<string, unknown>;
    return [
      ...(schema.required ?? []).filter((k) => !(k in obj)).map((k) => `${at}.${k}: missing`),
      ...Object.entries(schema.properties).flatMap(([k, p]) =>
        k in obj ? misfits(obj[k], p, schemas, `${at}.${k}`) : [],
      ),
    ];
  }
  return [];
}

function findAll(value: unknown, test: (o: Record<string, unknown>) => boolean): Record<string, unknown>[] {
  if (Array.isArray(value)) return value.flatMap((v) => findAll(v, test));
  if (!value || typeof value !== 'object') return [];
  const obj = value as Record<string, unknown>;
  return [...(test(obj) ? [obj] : []), ...Object.values(obj).flatMap((v) => findAll(v, test))];
}
