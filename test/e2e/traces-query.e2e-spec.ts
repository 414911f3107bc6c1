import { randomUUID } from 'node:crypto';
import { at, buildSpan, ingestTrace, TracePayload } from '../factories/trace.factory';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

const DAY = 86_400_000;
const day = (n: number, plusMs = 0) => at(n * DAY + plusMs);

interface Seed {
  key: string;
  name: string;
  status: string;
  start: number;
  latency: number | null;
  session: string | null;
  user: string | null;
  tags: string[];
  env: string | null;
  rel: string | null;
}

// t5 and t6 share started_at, ended_at and latency: the tie-breaker (trace_id) decides their order.
const SEEDS: Seed[] = [
  {
    key: 't1',
    name: 'Alpha agent',
    status: 'COMPLETED',
    start: 1,
    latency: 5000,
    session: 's1',
    user: 'u1',
    tags: ['prod', 'rag'],
    env: 'prod',
    rel: 'v1',
  },
  {
    key: 't2',
    name: 'beta ALPHA',
    status: 'ERROR',
    start: 2,
    latency: 1000,
    session: 's1',
    user: 'u2',
    tags: ['dev'],
    env: 'dev',
    rel: 'v2',
  },
  {
    key: 't3',
    name: '100% sure',
    status: 'RUNNING',
    start: 3,
    latency: null,
    session: 's2',
    user: 'u1',
    tags: ['prod'],
    env: 'prod',
    rel: 'v2',
  },
  {
    key: 't4',
    name: 'under_score',
    status: 'PENDING',
    start: 4,
    latency: 3000,
    session: null,
    user: null,
    tags: [],
    env: null,
    rel: null,
  },
  {
    key: 't5',
    name: 'back\\slash',
    status: 'COMPLETED',
    start: 5,
    latency: 2000,
    session: 's2',
    user: 'u3',
    tags: ['rag', 'x'],
    env: 'staging',
    rel: 'v1',
  },
  {
    key: 't6',
    name: 'underXscore',
    status: 'COMPLETED',
    start: 5,
    latency: 2000,
    session: null,
    user: 'u3',
    tags: [],
    env: null,
    rel: null,
  },
];

describe('GET /traces, GET /traces/{id}, GET /traces/users', () => {
  let t: TestApp;
  let a: Tenant;
  let b: Tenant;
  const ids: Record<string, string> = {};
  const keyOf: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_INGEST: '100000', RATE_LIMIT_DEFAULT: '100000' });
    a = await createTenant(t);
    b = await createTenant(t);
    for (const s of SEEDS) {
      const trace: TracePayload = await ingestTrace(t, a, {
        name: s.name,
        status: s.status,
        started_at: day(s.start),
        ended_at: s.latency === null ? null : day(s.start, s.latency),
        session_id: s.session,
        user_id: s.user,
        tags: s.tags,
        environment: s.env,
        release: s.rel,
        spans: [buildSpan({ started_at: day(s.start) })],
      });
      ids[s.key] = trace.trace_id;
      keyOf[trace.trace_id] = s.key;
    }
    // project B has traces too; A must never see them
    await ingestTrace(t, b, {
      name: 'Alpha of B',
      tags: ['prod'],
      session_id: 's1',
      user_id: 'u1',
      started_at: day(3),
    });
  });
  afterAll(() => t.close());

  const list = async (query: Record<string, unknown>, tenant = a) => {
    const res = await t.http.get('/traces').query(query).set(tenant.headers).expect(200);
    return res.body as { items: Array<Record<string, unknown>>; total: number; limit: number; offset: number };
  };
  const keys = (body: { items: Array<Record<string, unknown>> }) => body.items.map((i) => keyOf[i.trace_id as string]);
  const sortedKeys = (body: { items: Array<Record<string, unknown>> }) => keys(body).sort();

  it('lists the project traces with the computed fields, newest first, in {items, total, limit, offset}', async () => {
    const body = await list({});
    expect(body.total).toBe(6);
    expect(body.limit).toBe(50);
    expect(body.offset).toBe(0);
    expect(keys(body).slice(2)).toEqual(['t4', 't3', 't2', 't1']);
    const t1 = body.items.find((i) => i.trace_id === ids.t1);
    expect(t1).toEqual({
      trace_id: ids.t1,
      name: 'Alpha agent',
      status: 'COMPLETED',
      started_at: '2026-01-16T12:00:00.000000+00:00',
      ended_at: '2026-01-16T12:00:05.000000+00:00',
      session_id: 's1',
      user_id: 'u1',
      tags: ['prod', 'rag'],
      environment: 'prod',
      release: 'v1',
      latency_ms: 5000,
      span_count: 1,
      total_tokens: 15,
      total_cost: 0.0015,
    });
    expect(body.items.find((i) => i.trace_id === ids.t3)?.latency_ms).toBeNull();
  });

  it.each([
    [{ session_id: 's1' }, ['t1', 't2']],
    [{ status: 'ERROR' }, ['t2']],
    [{ user_id: 'u1' }, ['t1', 't3']],
    [{ tags: 'x' }, ['t5']],
    [{ tags: 'prod' }, ['t1', 't3']],
    [{ tags: ['rag', 'dev'] }, ['t1', 't2', 't5']],
    [{ name: 'alpha' }, ['t1', 't2']],
    [{ name: 'ALPHA AG' }, ['t1']],
    [{ name: '%' }, ['t3']],
    [{ name: '_' }, ['t4']],
    [{ name: '\\' }, ['t5']],
    [{ started_after: day(2) }, ['t2', 't3', 't4', 't5', 't6']],
    [{ started_before: day(4) }, ['t1', 't2', 't3']],
    [{ started_after: day(2), started_before: day(4) }, ['t2', 't3']],
    [{ started_after: '2026-01-17T14:00:00+02:00' }, ['t2', 't3', 't4', 't5', 't6']],
    [{ environment: 'prod' }, ['t1', 't3']],
    [{ release: 'v2' }, ['t2', 't3']],
    [{ status: 'COMPLETED', tags: 'rag' }, ['t1', 't5']],
    [{ user_id: 'nobody' }, []],
  ])('filters by %j', async (query, expected) => {
    const body = await list(query);
    expect(sortedKeys(body)).toEqual(expected);
    expect(body.total).toBe(expected.length);
  });

  const bySeed = (k: string) => SEEDS.find((s) => s.key === k)!;
  const tieBreak = (x: string, y: string, dir: number) => (ids[x] < ids[y] ? -dir : ids[x] > ids[y] ? dir : 0);
  const expectedOrder = (field: keyof Seed | 'ended', dir: 1 | -1) => {
    const value = (k: string): string | number | null => {
      const s = bySeed(k);
      if (field === 'ended') return s.latency === null ? null : s.start * DAY + s.latency;
      return s[field] as string | number | null;
    };
    return SEEDS.map((s) => s.key).sort((x, y) => {
      const vx = value(x);
      const vy = value(y);
      if (vx === null && vy !== null) return 1; // NULLS LAST in both directions
      if (vy === null && vx !== null) return -1;
      if (vx !== null && vy !== null && vx !== vy) {
        if (typeof vx === 'string') return vx < (vy as string) ? -dir : dir;
        return vx < (vy as number) ? -dir : dir;
      }
      return tieBreak(x, y, dir);
    });
  };

  it.each([
    ['started_at', 'start'],
    ['ended_at', 'ended'],
    ['latency', 'latency'],
    ['status', 'status'],
  ] as const)('sorts by %s in both directions, nulls last, ties by trace_id', async (sortBy, field) => {
    for (const [order, dir] of [
      ['asc', 1],
      ['desc', -1],
    ] as const) {
      const body = await list({ sort_by: sortBy, sort_order: order });
      expect(keys(body)).toEqual(expectedOrder(field, dir));
    }
  });

  it('sorts by name', async () => {
    const asc = keys(await list({ sort_by: 'name', sort_order: 'asc' }));
    const desc = keys(await list({ sort_by: 'name', sort_order: 'desc' }));
    expect(asc).toHaveLength(6);
    expect(desc).toEqual([...asc].reverse());
    const names = asc.map((k) => bySeed(k).name);
    const collated: string[] = await t.dataSource
      .query(`SELECT n FROM unnest($1::text[]) AS n ORDER BY n`, [names])
      .then((rows: Array<{ n: string }>) => rows.map((r) => r.n));
    expect(names).toEqual(collated);
  });

  it('defaults to started_at desc with trace_id desc as the tie-breaker', async () => {
    expect(keys(await list({}))).toEqual(expectedOrder('start', -1));
  });

  it('pages with limit/offset: disjoint pages, stable totals, empty page past the end', async () => {
    const seen: string[] = [];
    for (const offset of [0, 2, 4]) {
      const body = await list({ limit: 2, offset, sort_by: 'latency' });
      expect(body).toMatchObject({ total: 6, limit: 2, offset });
      expect(body.items).toHaveLength(2);
      seen.push(...keys(body));
    }
    expect(new Set(seen).size).toBe(6);
    expect(seen).toEqual(expectedOrder('latency', -1));
    const past = await list({ limit: 2, offset: 6 });
    expect(past).toMatchObject({ items: [], total: 6 });
    const filtered = await list({ tags: 'prod', limit: 1 });
    expect(filtered.total).toBe(2);
    expect(filtered.items).toHaveLength(1);
  });

  it.each([
    ['status', { status: 'DONE' }],
    ['limit', { limit: 0 }],
    ['limit', { limit: 201 }],
    ['limit', { limit: 'ten' }],
    ['offset', { offset: -1 }],
    ['offset', { offset: '9007199254740993' }],
    ['sort_by', { sort_by: 'cost' }],
    ['sort_order', { sort_order: 'up' }],
    ['started_after', { started_after: 'last week' }],
    ['started_before', { started_before: '2026-02-30' }],
    ['session_id', { session_id: 'x'.repeat(256) }],
    ['unknown_param', { unknown_param: 1 }],
  ])('rejects a bad %s with 422', async (field, query) => {
    const res = await t.http.get('/traces').query(query).set(a.headers).expect(422);
    expect(res.body.detail).toBe('Validation error');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('accepts limit 200 and 1', async () => {
    expect((await list({ limit: 200 })).items).toHaveLength(6);
    expect((await list({ limit: 1 })).items).toHaveLength(1);
  });

  it('GET /traces/{id}: 404 for unknown ids and for ids of another project, 422 for non-UUIDs', async () => {
    const unknown = randomUUID();
    const res = await t.http.get(`/traces/${unknown}`).set(a.headers).expect(404);
    expect(res.body).toEqual({ detail: `Trace ${unknown} not found.` });
    await t.http.get(`/traces/${ids.t1}`).set(b.headers).expect(404);
    const bad = await t.http.get('/traces/not-a-uuid').set(a.headers).expect(422);
    expect(bad.body.errors[0].field).toBe('trace_id');
  });

  it('never shows another project its traces', async () => {
    const body = await list({}, b);
    expect(body.total).toBe(1);
    expect(body.items[0].name).toBe('Alpha of B');
    expect((await list({ session_id: 's1', user_id: 'u1', tags: 'prod' }, b)).total).toBe(1);
    expect((await list({ name: 'Alpha of B' })).total).toBe(0);
  });

  it('GET /traces/users summarises end users, most recently seen first, paged', async () => {
    const res = await t.http.get('/traces/users').set(a.headers).expect(200);
    expect(res.body).toMatchObject({ total: 3, limit: 50, offset: 0 });
    expect(res.body.items).toEqual([
      {
        user_id: 'u3',
        trace_count: 2,
        first_seen: '2026-01-20T12:00:00.000000+00:00',
        last_seen: '2026-01-20T12:00:00.000000+00:00',
        error_count: 0,
      },
      {
        user_id: 'u1',
        trace_count: 2,
        first_seen: '2026-01-16T12:00:00.000000+00:00',
        last_seen: '2026-01-18T12:00:00.000000+00:00',
        error_count: 0,
      },
      {
        user_id: 'u2',
        trace_count: 1,
        first_seen: '2026-01-17T12:00:00.000000+00:00',
        last_seen: '2026-01-17T12:00:00.000000+00:00',
        error_count: 1,
      },
    ]);
    const page = await t.http.get('/traces/users').query({ limit: 1, offset: 1 }).set(a.headers).expect(200);
    expect(page.body).toMatchObject({ total: 3, limit: 1, offset: 1, items: [{ user_id: 'u1' }] });
    await t.http.get('/traces/users').query({ limit: 0 }).set(a.headers).expect(422);
    const other = await t.http.get('/traces/users').set(b.headers).expect(200);
    expect(other.body.items.map((u: { user_id: string }) => u.user_id)).toEqual(['u1']);
    expect(other.body.items[0].trace_count).toBe(1);
  });
});
