import { randomUUID } from 'node:crypto';
import { MembershipRole } from '../../src/modules/auth/entities/membership.entity';
import { scriptedJudgeTestEnv } from '../factories/eval-run.factory';
import { buildSpan, buildTrace } from '../factories/trace.factory';
import { JudgeServer, startJudgeServer } from '../support/judge-server';
import { loadRouteTable, Route, routeName } from '../support/route-table';
import { createMember, createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

/**
 * One timestamp format for every timestamp of every response (docs/architecture.md#timestamps-in-responses):
 * `2026-01-15T12:00:00.250000+00:00`, six fractional digits and a numeric offset (`+00:00`; analytics
 * buckets carry the offset of the zone they were asked in). Every GET route of the OpenAPI document
 * that can be called with the ids made here is called, and every JSON answer walked, as are the
 * answers of the writes that made them; client-supplied JSON (input, output, metadata…) comes back as
 * it was sent, whatever it holds.
 */

const FORMAT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}[+-]\d{2}:\d{2}$/;
/** Anything that starts like an ISO date-time: all of them must be in FORMAT. */
const LOOKS_LIKE_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;
/** Client-supplied JSON in the answers: returned verbatim, not ours to format. */
const CLIENT_JSON = new Set(['input', 'output', 'metadata', 'model_parameters', 'token_usage', 'cost', 'filters']);
/** Routes whose answer must hold at least one timestamp (the broad set the format is promised for). */
const MUST_HAVE_TIMESTAMPS = [
  'GET /traces',
  'GET /traces/{trace_id}',
  'GET /sessions',
  'GET /sessions/{session_id}',
  'GET /traces/analytics',
  'GET /sessions/analytics',
  'GET /evaluations/trace-runs',
  'GET /evaluations/trace-runs/{run_id}',
  'GET /evaluations/trace-scores',
  'GET /evaluations/trace-scores/{trace_id}',
  'GET /evaluations/monitors',
  'GET /evaluations/monitors/{monitor_id}',
  'GET /evaluations/custom-metrics',
  'GET /evaluations/custom-metrics/{name}',
  'GET /evaluations/analytics/trace-scores/summary',
  'GET /evaluations/analytics/trace-scores/trend',
  'GET /me',
  'GET /organizations',
  'GET /organizations/{org_id}',
  'GET /organizations/{org_id}/projects',
  'GET /organizations/{org_id}/api-keys',
  'GET /organizations/{org_id}/members',
  'GET /organizations/{org_id}/invitations',
  'GET /projects/current',
];

/** Every timestamp-like string outside client JSON, with where it was found. */
function timestamps(value: unknown, at: string, out: Array<[string, string]> = []): Array<[string, string]> {
  if (typeof value === 'string') {
    if (LOOKS_LIKE_TIMESTAMP.test(value)) out.push([at, value]);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => timestamps(v, `${at}[${i}]`, out));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) if (!CLIENT_JSON.has(k)) timestamps(v, `${at}.${k}`, out);
  }
  return out;
}

describe('every timestamp of every response has one format', () => {
  let judge: JudgeServer;
  let t: TestApp;
  let tenant: Tenant;
  let owner: Record<string, string>;
  const ids: Record<string, string> = {};
  /** Answers of the writes that made the data, by route. */
  const written: Record<string, unknown> = {};
  const window = { from: '2026-01-14T00:00:00Z', to: '2026-01-17T00:00:00Z' };
  /** What the client sent inside metadata: timestamps in three spellings, to come back untouched. */
  const clientMetadata = {
    created_at: '2026-01-01T00:00:00Z',
    at: '2026-01-01 10:00',
    seen: '2026-01-01T00:00:00.1+02:00',
  };

  beforeAll(async () => {
    judge = await startJudgeServer();
    t = await createTestApp(scriptedJudgeTestEnv(judge.baseUrl, 'tsfmt'));
    tenant = await createTenant(t);
    owner = (await createMember(t, tenant, MembershipRole.OWNER)).headers;
    const write = async (name: string, req: () => Promise<{ status: number; body: unknown }>, status: number) => {
      const res = await req();
      if (res.status !== status) throw new Error(`${name}: ${res.status} ${JSON.stringify(res.body)}`);
      written[name] = res.body;
      return res.body as Record<string, any>;
    };
    // Timestamps as each SDK writes them: the Python SDK (µs, +00:00), the TypeScript SDK (ms, Z), an offset.
    const session = `sess-${randomUUID().slice(0, 8)}`;
    const traces = [
      buildTrace({
        session_id: session,
        started_at: '2026-01-15T12:00:00.123456+00:00',
        ended_at: '2026-01-15T12:00:01.5+00:00',
        metadata: clientMetadata,
        spans: [
          buildSpan({
            started_at: '2026-01-15T12:00:00.2Z',
            ended_at: '2026-01-15T12:00:00.9Z',
            completion_start_time: '2026-01-15T12:00:00.3Z',
          }),
        ],
      }),
      buildTrace({
        session_id: session,
        started_at: '2026-01-15T14:00:00+02:00',
        ended_at: '2026-01-15T14:00:02.371+02:00',
      }),
    ];
    for (const trace of traces) await t.http.post('/traces').set(tenant.headers).send(trace).expect(202);
    ids.trace_id = traces[0].trace_id;
    ids.span_id = (traces[0].spans as Array<{ span_id: string }>)[0].span_id;
    ids.session_id = session;
    ids.org_id = tenant.orgId;
    ids.project_id = tenant.projectId;
    ids.key_id = tenant.apiKeyId;
    ids.user_id = (await createMember(t, tenant)).userId;
    ids.invitation_id = (
      await write(
        'POST /organizations/{org_id}/invitations',
        () =>
          t.http
            .post(`/organizations/${tenant.orgId}/invitations`)
            .set({ Authorization: owner.Authorization })
            .send({ email: `ts-${randomUUID()}@example.com` }),
        201,
      )
    ).id;
    await write(
      'POST /organizations/{org_id}/api-keys',
      () =>
        t.http
          .post(`/organizations/${tenant.orgId}/api-keys`)
          .set({ Authorization: owner.Authorization })
          .send({ name: 'ci' }),
      201,
    );
    ids.score_id = (
      await write(
        'POST /evaluations/trace-scores',
        () =>
          t.http
            .post('/evaluations/trace-scores')
            .set(tenant.headers)
            .send({ trace_id: ids.trace_id, name: 'accuracy', value: '0.75' }),
        201,
      )
    ).id;
    ids.run_id = (
      await write(
        'POST /evaluations/trace-runs/batch',
        () =>
          t.http
            .post('/evaluations/trace-runs/batch')
            .set(tenant.headers)
            .send({ metrics: ['confidence'], trace_ids: [ids.trace_id] }),
        202,
      )
    ).id;
    ids.monitor_id = (
      await write(
        'POST /evaluations/monitors',
        () =>
          t.http
            .post('/evaluations/monitors')
            .set(tenant.headers)
            .send({ name: 'ts', target_type: 'TRACE', metrics: ['confidence'], cadence: 'daily' }),
        201,
      )
    ).id;
    ids.name = (
      await write(
        'POST /evaluations/custom-metrics',
        () =>
          t.http.post('/evaluations/custom-metrics').set(tenant.headers).send({
            name: 'polite_reply',
            output_type: 'BOOLEAN',
            prompt_template: 'Was the reply polite? {{output}}',
          }),
        201,
      )
    ).name;
    ids.version = '1';
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await judge?.close();
  });

  /** A value for a required query parameter, by name. */
  const queryValue = (name: string): string | undefined =>
    ({
      started_after: window.from,
      started_before: window.to,
      date_from: window.from,
      date_to: window.to,
      metric_name: 'accuracy',
      metric: 'latency',
    })[name];

  it('the writes answer every timestamp in the format', () => {
    const wrong: string[] = [];
    for (const [route, body] of Object.entries(written)) {
      const found = timestamps(body, route);
      expect([route, found.length > 0]).toEqual([route, true]);
      for (const [where, value] of found) if (!FORMAT.test(value)) wrong.push(`${where}: ${value}`);
    }
    expect(wrong).toEqual([]);
  });

  it('every callable GET route answers every timestamp in the format; client JSON comes back as sent', async () => {
    const routes = (await loadRouteTable(t)).filter((r: Route) => r.method === 'GET' && r.auth !== 'none');
    const checked = new Map<string, number>();
    const wrong: string[] = [];
    for (const route of routes) {
      const params = route.params.filter((p) => p.in === 'path');
      if (params.some((p) => !(p.name in ids))) continue;
      const query: Record<string, string> = {};
      let callable = true;
      for (const p of route.params.filter((x) => x.in === 'query')) {
        // Only what is required (optional date bounds would leave out the scores made today), and the latency metric.
        const v = p.required || p.name === 'metric' ? queryValue(p.name) : undefined;
        if (v !== undefined) query[p.name] = v;
        else if (p.required) callable = false;
      }
      if (!callable) continue;
      const path = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(ids[name]));
      const res = await t.http
        .get(path)
        .query(query)
        .set(route.auth === 'user' ? { Authorization: owner.Authorization } : tenant.headers);
      if (res.status !== 200 || !/json/.test(res.headers['content-type'] ?? '')) continue;
      const found = timestamps(res.body, routeName(route));
      checked.set(routeName(route), found.length);
      for (const [where, value] of found) if (!FORMAT.test(value)) wrong.push(`${where}: ${value}`);
    }
    expect(wrong).toEqual([]);
    expect(checked.size).toBeGreaterThanOrEqual(45); // 50 when written: every route these ids address
    for (const name of MUST_HAVE_TIMESTAMPS) {
      if (!checked.get(name)) throw new Error(`${name}: not answered 200 with a timestamp`);
    }

    // Microseconds the Python SDK sent survive, and a UTC offset is written +00:00.
    const trace = (await t.http.get(`/traces/${ids.trace_id}`).set(tenant.headers).expect(200)).body;
    expect(trace.started_at).toBe('2026-01-15T12:00:00.123456+00:00');
    expect(trace.ended_at).toBe('2026-01-15T12:00:01.500000+00:00');
    expect(trace.spans[0].completion_start_time).toBe('2026-01-15T12:00:00.300000+00:00');
    expect(trace.metadata).toEqual(clientMetadata);
    const days = (
      await t.http
        .get('/traces/analytics')
        .query({ metric: 'volume', started_after: window.from, started_before: window.to, tz: 'Asia/Kolkata' })
        .set(tenant.headers)
        .expect(200)
    ).body;
    expect(days[0].bucket).toBe('2026-01-14T00:00:00.000000+05:30');
  });
});
