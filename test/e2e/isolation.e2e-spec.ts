import { randomBytes, randomUUID } from 'node:crypto';
import { MembershipRole } from '../../src/modules/auth/entities/membership.entity';
import { waitForRun } from '../factories/eval-run.factory';
import { insertSessionScore } from '../factories/session-score.factory';
import { buildTraceTree } from '../factories/trace.factory';
import { snapshotDatabase } from '../support/evidence/db-snapshot';
import { JudgeServer, startJudgeServer } from '../support/judge-server';
import { fillPath, loadRouteTable, Route, routeName, Schema } from '../support/route-table';
import { createMember, createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

/**
 * Isolation matrix (docs/evidence.md): every route that takes an object id — in its path, its
 * query or its body — called by a tenant with the ids of another project of the same organization
 * and of another organization, with each credential kind. Never a 2xx that reveals or changes the
 * other tenant's data. The routes and their id parameters come from the app's OpenAPI document; an
 * id parameter this file cannot fill fails the first test, so a new route forces an update here.
 */

/** Where each kind of id comes from. Keys are parameter or field names as the API spells them. */
type IdKind =
  | 'trace'
  | 'span'
  | 'run'
  | 'session_run'
  | 'score'
  | 'session'
  | 'sessionScore'
  | 'org'
  | 'key'
  | 'monitor'
  | 'project'
  | 'customMetric';
const ID_KINDS: Record<string, IdKind> = {
  trace_id: 'trace',
  trace_ids: 'trace',
  session_ids: 'session',
  span_id: 'span',
  // Chosen by clients, but a session is the project's own: another project's id must find nothing.
  session_id: 'session',
  run_id: 'run',
  eval_run_id: 'run',
  score_id: 'score',
  org_id: 'org',
  key_id: 'key',
  project_id: 'project',
  monitor_id: 'monitor',
};
/**
 * Under these path prefixes, `score_id` is a session score, and `session_id` (elsewhere a free-text
 * label) names scores stored under the project: a session label must not reach another project's.
 */
const SESSION_SCORE_ROUTES = ['/evaluations/session-scores', '/evaluations/analytics/session-scores/'];
const SESSION_SCORE_ID_KINDS: Record<string, IdKind> = { score_id: 'sessionScore', session_id: 'session' };
/** Custom metrics are addressed by their name, unique in a project. */
const CUSTOM_METRIC_ROUTES = '/evaluations/custom-metrics/{name}';
/** Path parameters that are not object ids, and required query parameters, filled the same for every probe. */
const FIXED_PATH_VALUES: Record<string, string> = { version: '1' };
const FIXED_QUERY: Record<string, string> = {
  'GET /evaluations/analytics/trace-scores/agreement': 'metric_name=confidence',
};
/** Organization-level objects: another project of the same organization legitimately shares them. */
const ORG_LEVEL: ReadonlySet<IdKind> = new Set(['org', 'key', 'project']);
/** Names that look like ids but are free-text labels chosen by clients, not our objects. */
const NOT_OBJECT_IDS = new Set(['user_id', 'parent_span_id', 'x-request-id']);
const looksLikeId = (name: string) => /(^|_)ids?$/.test(name.toLowerCase());

interface IdSlot {
  where: 'path' | 'query' | 'body';
  name: string;
  kind: IdKind;
}

/** The id parameters of a route, and those it has no source for. */
function idSlots(route: Route): { slots: IdSlot[]; unknown: string[] } {
  const slots: IdSlot[] = [];
  const unknown: string[] = [];
  const sessionScores = SESSION_SCORE_ROUTES.some((prefix) => route.path.startsWith(prefix));
  const consider = (where: IdSlot['where'], name: string) => {
    if (route.path.startsWith(CUSTOM_METRIC_ROUTES) && where === 'path' && name === 'name') {
      slots.push({ where, name, kind: 'customMetric' });
      return;
    }
    if (sessionScores && SESSION_SCORE_ID_KINDS[name]) {
      slots.push({ where, name, kind: SESSION_SCORE_ID_KINDS[name] });
      return;
    }
    if (!looksLikeId(name) || NOT_OBJECT_IDS.has(name.toLowerCase())) return;
    // A run id under /evaluations/session-runs is a SESSION run's.
    const kind =
      name === 'run_id' && route.path.startsWith('/evaluations/session-runs') ? 'session_run' : ID_KINDS[name];
    if (kind) slots.push({ where, name, kind });
    else unknown.push(`${routeName(route)}: ${where} ${name}`);
  };
  for (const p of route.params) if (p.in !== 'header') consider(p.in as 'path' | 'query', p.name);
  const props = route.body?.type === 'array' ? route.body.items?.properties : route.body?.properties;
  for (const name of Object.keys(props ?? {})) consider('body', name);
  return { slots, unknown };
}

interface Owner {
  label: string;
  orgId: string;
  projectId: string;
  projectName: string;
  /** The owner's own credentials, to re-read its data. */
  apiKeyHeaders: Record<string, string>;
  bearer: Record<string, string>;
  ids: Record<IdKind, string>;
  /** Strings only this tenant's data contains. */
  secrets: string[];
}

/** Bodies that are valid apart from the foreign ids, so a refusal is about ownership, not shape. */
const BODIES: Record<string, (ids: (kind: IdKind) => string) => unknown> = {
  'POST /traces': (id) => ({ trace_id: id('trace'), name: 'hijack', started_at: '2026-01-01T00:00:00Z' }),
  'POST /traces/batch/delete': (id) => ({ trace_ids: [id('trace')] }),
  'POST /traces/batch/tags': (id) => ({ trace_ids: [id('trace')], add_tags: ['hijacked'], remove_tags: ['victim'] }),
  'PATCH /traces/{trace_id}': () => ({ name: 'hijacked', metadata: { hijacked: true } }),
  'POST /traces/{trace_id}/spans': () => [
    { span_id: randomUUID(), name: 'hijack', started_at: '2026-01-01T00:00:00Z' },
  ],
  'PATCH /traces/{trace_id}/spans/{span_id}': () => ({ name: 'hijacked' }),
  'POST /evaluations/trace-scores': (id) => ({ trace_id: id('trace'), name: 'hijack', value: '0.1' }),
  'PATCH /evaluations/trace-scores/{score_id}': () => ({ value: '0.01', reason: 'hijacked' }),
  'POST /evaluations/trace-runs/batch': (id) => ({ metrics: ['confidence'], trace_ids: [id('trace')] }),
  'POST /evaluations/session-runs/batch': (id) => ({ metrics: ['agent_reliability'], session_ids: [id('session')] }),
  'POST /organizations/{org_id}/projects': () => ({ name: `hijack-${randomUUID().slice(0, 6)}` }),
  'POST /organizations/{org_id}/api-keys': () => ({ name: 'hijack' }),
  'POST /cli/auth/codes': (id) => ({
    org_id: id('org'),
    project_id: id('project'),
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    label: 'hijack',
  }),
  'POST /evaluations/custom-metrics/preview': (id) => ({
    trace_id: id('trace'),
    definition: { output_type: 'BOOLEAN', prompt_template: '{{input}}' },
  }),
};

/** The query string of a probe: its id slots, then any required parameter the route needs. */
function probeQuery(route: Route, ids: string): string {
  return [ids, FIXED_QUERY[routeName(route)]].filter(Boolean).join('&');
}

/** A fallback body from the schema: examples, defaults, then a plain value per type. */
function exampleBody(s: Schema | undefined, id: (kind: IdKind) => string): unknown {
  if (!s) return undefined;
  const value = (name: string, p: Schema): unknown => {
    if (ID_KINDS[name]) return p.type === 'array' ? [id(ID_KINDS[name])] : id(ID_KINDS[name]);
    if (p.example !== undefined) return p.example;
    if (p.default !== undefined) return p.default;
    if (p.enum) return p.enum[0];
    if (p.format === 'date-time') return '2026-01-01T00:00:00Z';
    if (p.type === 'string') return 'probe';
    if (p.type === 'number' || p.type === 'integer') return p.minimum ?? 0;
    if (p.type === 'boolean') return false;
    if (p.type === 'array') return [];
    return {};
  };
  const obj = (o: Schema) =>
    Object.fromEntries(
      Object.entries(o.properties ?? {})
        .filter(([k]) => (o.required ?? []).includes(k) || ID_KINDS[k])
        .map(([k, p]) => [k, value(k, p)]),
    );
  return s.type === 'array' ? [obj(s.items ?? {})] : obj(s);
}

describe('isolation matrix: ids of other projects and organizations, every route, every credential', () => {
  let t: TestApp;
  let judge: JudgeServer;
  let routes: Route[];
  let attacker: Owner;
  let attackerCreds: { kind: string; project: Record<string, string>; user: Record<string, string> }[];
  const victims: Owner[] = [];

  /** Creates a trace with spans, a manual score, a finished run with failures, a session score and an API key. */
  async function populate(owner: Omit<Owner, 'ids' | 'secrets'>, orgBearer: Record<string, string>): Promise<Owner> {
    const secret = `secret-${owner.label}-${randomBytes(6).toString('hex')}`;
    const session = `${secret}-session`;
    const trace = buildTraceTree(3, {
      name: `${secret}-trace`,
      tags: ['victim'],
      input: { q: `${secret}-input` },
      session_id: session,
    });
    await t.http.post('/traces').set(owner.apiKeyHeaders).send(trace).expect(202);
    const score = await t.http
      .post('/evaluations/trace-scores')
      .set(owner.apiKeyHeaders)
      .send({
        trace_id: trace.trace_id,
        name: `${secret}-score`,
        value: 'yes',
        data_type: 'CATEGORICAL',
        reason: `${secret}-reason`,
      })
      .expect(201);
    let runId = randomUUID();
    let runExists = false;
    if (routes.some((r) => r.path === '/evaluations/trace-runs/batch')) {
      judge.fault({ status: 401, count: Infinity }); // every judge call fails: the run finishes with failures, so it can be retried
      const run = await t.http
        .post('/evaluations/trace-runs/batch')
        .set(owner.apiKeyHeaders)
        .send({ name: `${secret}-run`, metrics: ['confidence'], trace_ids: [trace.trace_id] })
        .expect(202);
      runId = run.body.id;
      runExists = true;
      await waitForRun(t, { headers: owner.apiKeyHeaders }, runId);
      judge.reset();
    }
    // Session scores are written by session runs only (no POST): stored as one would store it.
    const sessionScore = await insertSessionScore(t.dataSource, owner.projectId, {
      sessionId: session,
      name: `${secret}-session-score`,
      value: '0.25',
      reason: `${secret}-session-reason`,
      evalRunId: runExists ? runId : null,
      createdAt: new Date().toISOString(),
    });
    let sessionRunId = randomUUID();
    if (routes.some((r) => r.path === '/evaluations/session-runs/batch')) {
      const run = await t.http
        .post('/evaluations/session-runs/batch')
        .set(owner.apiKeyHeaders)
        .send({ name: `${secret}-session-run`, metrics: ['agent_reliability'], session_ids: [session] })
        .expect(202);
      sessionRunId = run.body.id;
      await waitForRun(t, { headers: owner.apiKeyHeaders }, sessionRunId, { base: '/evaluations/session-runs' });
    }
    // A monitor with one spawned run, so its runs list names it.
    const monitor = await t.http
      .post('/evaluations/monitors')
      .set(owner.apiKeyHeaders)
      .send({
        name: `${secret}-monitor`,
        target_type: 'TRACE',
        metrics: ['confidence'],
        cadence: 'daily',
        scope: 'all',
      })
      .expect(201);
    const monitorRun = await t.http.post(`/evaluations/monitors/${monitor.body.id}/trigger`).set(owner.apiKeyHeaders);
    if (monitorRun.status === 202) await waitForRun(t, { headers: owner.apiKeyHeaders }, monitorRun.body.id);
    const customMetric = `cm_${owner.label.replace(/-/g, '_')}_${randomBytes(3).toString('hex')}`;
    await t.http
      .post('/evaluations/custom-metrics')
      .set(owner.apiKeyHeaders)
      .send({
        name: customMetric,
        description: `${secret}-rubric`,
        output_type: 'BOOLEAN',
        prompt_template: `${secret} {{input}}`,
      })
      .expect(201);
    const key = await t.http
      .post(`/organizations/${owner.orgId}/api-keys`)
      .set(orgBearer)
      .send({ name: `${secret}-key` })
      .expect(201);
    return {
      ...owner,
      ids: {
        trace: trace.trace_id,
        span: trace.spans![0].span_id,
        run: runId,
        session_run: sessionRunId,
        score: score.body.id,
        session,
        sessionScore,
        org: owner.orgId,
        key: key.body.id,
        monitor: monitor.body.id,
        project: owner.projectId,
        customMetric,
      },
      secrets: [secret, key.body.raw_key, key.body.key_prefix],
    };
  }

  /** Everything the owner can read about its own objects, with its own credentials. */
  async function readBack(o: Owner, orgBearer: Record<string, string>): Promise<unknown> {
    const get = async (path: string, headers: Record<string, string>) => {
      const res = await t.http.get(path).set(headers);
      return { path, status: res.status, body: res.body };
    };
    const keys = await get(`/organizations/${o.orgId}/api-keys`, orgBearer);
    const stableKeys = Array.isArray(keys.body)
      ? keys.body.map(({ last_used_at: _unused, ...k }: Record<string, unknown>) => k)
      : keys.body;
    return [
      await get(`/traces/${o.ids.trace}`, o.apiKeyHeaders),
      await get(`/sessions/${encodeURIComponent(o.ids.session)}`, o.apiKeyHeaders),
      await get('/sessions?limit=200', o.apiKeyHeaders),
      await get('/traces?limit=200', o.apiKeyHeaders),
      await get('/evaluations/trace-scores?limit=200', o.apiKeyHeaders),
      await get(`/evaluations/trace-scores/${o.ids.trace}`, o.apiKeyHeaders),
      await get(`/evaluations/trace-runs/${o.ids.run}`, o.apiKeyHeaders),
      await get('/evaluations/trace-runs?limit=200', o.apiKeyHeaders),
      await get(`/evaluations/trace-runs/${o.ids.run}/scores`, o.apiKeyHeaders),
      await get('/evaluations/session-scores?limit=200', o.apiKeyHeaders),
      await get(`/evaluations/session-scores/${o.ids.session}`, o.apiKeyHeaders),
      await get(`/evaluations/session-runs/${o.ids.session_run}`, o.apiKeyHeaders),
      await get('/evaluations/session-runs?limit=200', o.apiKeyHeaders),
      await get(`/evaluations/session-runs/${o.ids.session_run}/scores`, o.apiKeyHeaders),
      await get(`/evaluations/monitors/${o.ids.monitor}`, o.apiKeyHeaders),
      await get(`/evaluations/monitors/${o.ids.monitor}/runs`, o.apiKeyHeaders),
      await get('/evaluations/monitors?limit=200', o.apiKeyHeaders),
      await get(`/evaluations/custom-metrics/${o.ids.customMetric}/versions`, o.apiKeyHeaders),
      await get(`/organizations/${o.orgId}/projects`, orgBearer),
      { ...keys, body: stableKeys },
    ];
  }

  const orgBearers = new Map<string, Record<string, string>>();

  beforeAll(async () => {
    judge = await startJudgeServer();
    t = await createTestApp({
      RUN_WORKER_IN_PROCESS: 'true',
      OPENAI_BASE_URL: judge.baseUrl,
      OPENAI_API_KEY: 'sk-test',
      JUDGE_MAX_RETRIES: '0',
      EVAL_SWEEP_INTERVAL_MS: '500',
      RATE_LIMIT_DEFAULT: '1000000',
      RATE_LIMIT_INGEST: '1000000',
      RATE_LIMIT_EVAL_RUNS: '1000000',
      QUEUE_PREFIX: `iso${randomBytes(3).toString('hex')}`,
    });
    routes = await loadRouteTable(t);

    // Organization A: the attacker's project, and a victim project of the same organization.
    const a = await createTenant(t);
    const aOwner = await createMember(t, a, MembershipRole.OWNER);
    const aOrgBearer = { Authorization: aOwner.headers.Authorization };
    orgBearers.set(a.orgId, aOrgBearer);
    const sameOrgName = `victim-${randomUUID().slice(0, 8)}`;
    const sameOrgHeaders = { 'X-API-Key': a.apiKey, 'X-Project-Name': sameOrgName };
    const sameOrgProject = (await t.http.get('/projects/current').set(sameOrgHeaders).expect(200)).body.id as string;
    // Organization B: a victim of another organization.
    const b: Tenant = await createTenant(t);
    const bOwner = await createMember(t, b, MembershipRole.OWNER);
    const bOrgBearer = { Authorization: bOwner.headers.Authorization };
    orgBearers.set(b.orgId, bOrgBearer);

    attacker = await populate(
      {
        label: 'attacker',
        orgId: a.orgId,
        projectId: a.projectId,
        projectName: a.projectName,
        apiKeyHeaders: a.headers,
        bearer: aOwner.headers,
      },
      aOrgBearer,
    );
    victims.push(
      await populate(
        {
          label: 'same-org',
          orgId: a.orgId,
          projectId: sameOrgProject,
          projectName: sameOrgName,
          apiKeyHeaders: sameOrgHeaders,
          bearer: { ...aOwner.headers, 'X-Project-ID': sameOrgProject },
        },
        aOrgBearer,
      ),
      await populate(
        {
          label: 'other-org',
          orgId: b.orgId,
          projectId: b.projectId,
          projectName: b.projectName,
          apiKeyHeaders: b.headers,
          bearer: bOwner.headers,
        },
        bOrgBearer,
      ),
    );
    // The attacker's two credential kinds, both scoped to its own project (an OWNER of organization A).
    attackerCreds = [
      { kind: 'API key + X-Project-Name', project: a.headers, user: a.headers },
      { kind: 'Bearer + X-Project-ID', project: aOwner.headers, user: aOrgBearer },
    ];
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await judge?.close();
  });

  it('has an id source for every id parameter of every route', () => {
    const unknown = routes.flatMap((r) => idSlots(r).unknown);
    expect(unknown).toEqual([]);
    expect(routes.filter((r) => idSlots(r).slots.length > 0).length).toBeGreaterThanOrEqual(15);
  });

  it('never answers 2xx with or on another tenant’s data, and changes none of it', async () => {
    const before = await Promise.all(victims.map((v) => readBack(v, orgBearers.get(v.orgId)!)));
    const dbBefore = await snapshotDatabase(t.dataSource, attacker.projectId);
    const problems: string[] = [];
    const table: string[] = [];
    let calls = 0;
    for (const route of routes) {
      const { slots } = idSlots(route);
      if (slots.length === 0) continue;
      const pathSlots = slots.filter((s) => s.where === 'path');
      for (const victim of victims) {
        // Organization-level objects (the organization, its keys) are shared by its projects by design.
        if (victim.orgId === attacker.orgId && slots.every((s) => ORG_LEVEL.has(s.kind))) continue;
        // Every id the victim's; and, with two path ids, the attacker's own parent with the victim's child.
        const mixes: ((s: IdSlot, i: number) => Owner)[] = [() => victim];
        if (pathSlots.length >= 2) mixes.push((s) => (s.where === 'path' && s === pathSlots[0] ? attacker : victim));
        for (const mix of mixes) {
          const owners = new Map(slots.map((s, i) => [s, mix(s, i)]));
          const idOf = (kind: IdKind) =>
            (slots.find((s) => s.kind === kind) ? owners.get(slots.find((s) => s.kind === kind)!)! : victim).ids[kind];
          const path = fillPath(route.path, {
            ...FIXED_PATH_VALUES,
            ...Object.fromEntries(pathSlots.map((s) => [s.name, owners.get(s)!.ids[s.kind]])),
          });
          const query = probeQuery(
            route,
            slots
              .filter((s) => s.where === 'query')
              .map((s) => `${s.name}=${owners.get(s)!.ids[s.kind]}`)
              .join('&'),
          );
          const url = query ? `${path}?${query}` : path;
          const body = route.body
            ? (BODIES[routeName(route)] ?? ((id) => exampleBody(route.body, id)))(idOf)
            : undefined;
          for (const cred of attackerCreds) {
            const headers = route.auth === 'user' ? cred.user : cred.project;
            let req = t.http[route.method.toLowerCase() as 'get'](url).set(headers);
            if (body !== undefined) req = req.send(body as object);
            const res = await req;
            calls += 1;
            const label = `${routeName(route)} [${victim.label}${mix === mixes[0] ? '' : ', own parent'}] as ${cred.kind} → ${res.status}`;
            table.push(label);
            if (res.status >= 500) problems.push(`${label}: server error ${JSON.stringify(res.body)}`);
            if (res.status === 422 && res.body?.detail === 'Validation error') {
              problems.push(
                `${label}: the probe itself is malformed, fix its body here: ${JSON.stringify(res.body.errors)}`,
              );
            }
            if (res.status >= 200 && res.status < 300) {
              const sent = JSON.stringify({ url, body });
              const text = JSON.stringify(res.body ?? '') + (res.text ?? '');
              const leaked = [
                ...victim.secrets,
                ...Object.values(victim.ids),
                victim.projectId,
                victim.projectName,
              ].filter((s) => s && text.includes(s) && !sent.includes(s));
              if (leaked.length > 0) problems.push(`${label}: reveals ${leaked.join(', ')}`);
            }
          }
        }
      }
    }
    console.log(`isolation matrix: ${calls} calls\n  ${table.join('\n  ')}`);
    expect(problems).toEqual([]);
    // Nothing of any other tenant changed: re-read with their own credentials, and every stored row outside the attacker's project.
    expect(await Promise.all(victims.map((v) => readBack(v, orgBearers.get(v.orgId)!)))).toEqual(before);
    expect(await snapshotDatabase(t.dataSource, attacker.projectId)).toEqual(dbBefore);
  }, 120_000);

  it('positive control: the same read probes with the caller’s own ids do find its data', async () => {
    const misses: string[] = [];
    let probes = 0;
    for (const route of routes.filter((r) => r.method === 'GET')) {
      const { slots } = idSlots(route);
      if (slots.length === 0) continue;
      const pathSlots = slots.filter((s) => s.where === 'path');
      const path = fillPath(route.path, {
        ...FIXED_PATH_VALUES,
        ...Object.fromEntries(pathSlots.map((s) => [s.name, attacker.ids[s.kind]])),
      });
      const query = probeQuery(
        route,
        slots
          .filter((s) => s.where === 'query')
          .map((s) => `${s.name}=${attacker.ids[s.kind]}`)
          .join('&'),
      );
      // Management routes take a Bearer token only; an API key is refused there by design.
      const creds = route.auth === 'user' ? attackerCreds.filter((c) => c.kind.startsWith('Bearer')) : attackerCreds;
      for (const cred of creds) {
        const res = await t.http
          .get(query ? `${path}?${query}` : path)
          .set(route.auth === 'user' ? cred.user : cred.project);
        probes += 1;
        const text = JSON.stringify(res.body ?? '');
        // Its ids, or its own secret labels where a route answers without ids (a session's score history).
        const found =
          slots.some((s) => text.includes(attacker.ids[s.kind])) || attacker.secrets.some((x) => text.includes(x));
        if (res.status !== 200 || (pathSlots.length > 0 && !found && !route.path.startsWith('/organizations/'))) {
          misses.push(`${routeName(route)} as ${cred.kind} → ${res.status}`);
        }
      }
    }
    expect(probes).toBeGreaterThanOrEqual(10);
    expect(misses).toEqual([]);
  });
});
