import { RollupRefresher } from '../../src/modules/analytics/rollup-refresher';
import { buildSpan, ingestTrace } from '../factories/trace.factory';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

const HIGH_LIMITS = { RATE_LIMIT_INGEST: '100000', RATE_LIMIT_DEFAULT: '100000' };
const ANALYTICS = '/traces/analytics';
const TREND = '/evaluations/analytics/trace-scores/trend';
const DISTRIBUTION = '/evaluations/analytics/trace-scores/distribution';
const SUMMARY = '/evaluations/analytics/trace-scores/summary';

/** A Monday, so hour, day and week buckets all start at WEEK_START. */
const WEEK_START = '2026-01-05T00:00:00Z';
const WEEK_END = '2026-01-12T00:00:00Z';
const ms = (iso: string, plus: number) => new Date(Date.parse(iso) + plus).toISOString();

/** A span with a model, usage and cost. */
const llm = (model: string, prompt: number, completion: number, cost: number, start: string) =>
  buildSpan({
    model,
    token_usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: 999 },
    cost: { input: 0, output: 0, total: cost },
    started_at: start,
    ended_at: ms(start, 10),
  });
const tool = (start: string) =>
  buildSpan({ kind: 'TOOL', model: null, token_usage: null, cost: null, started_at: start, ended_at: ms(start, 5) });

type Row = Record<string, unknown>;

/** Percentiles are exact: the numbers percentile_cont gives (analytics-percentiles.e2e-spec proves it on random data). */
function expectExact(row: Row, expected: Record<string, number>) {
  expect(row).toMatchObject(expected);
}

describe('analytics', () => {
  let t: TestApp;
  let a: Tenant;
  let b: Tenant;

  beforeAll(async () => {
    t = await createTestApp(HIGH_LIMITS);
    a = await createTenant(t);
    b = await createTenant(t);
  });
  afterAll(() => t.close());

  const get = (tenant: Tenant, path: string, query: Record<string, string | number>) =>
    t.http.get(path).query(query).set(tenant.headers);
  const traces = (tenant: Tenant, query: Record<string, string | number>) => get(tenant, ANALYTICS, query);
  const week = (metric: string, granularity: string, tenant: Tenant = a) =>
    traces(tenant, { metric, granularity, started_after: WEEK_START, started_before: WEEK_END }).expect(200);

  /** A trace placed exactly: start, latency (null: no end), status and spans. */
  async function trace(tenant: Tenant, start: string, latency: number | null, status: string, spans: unknown[] = []) {
    await ingestTrace(t, tenant, {
      started_at: start,
      ended_at: latency === null ? null : ms(start, latency),
      status,
      spans: spans as never,
    });
  }

  describe('GET /traces/analytics', () => {
    beforeAll(async () => {
      // Tenant A's week. Edges: T1 exactly at the start of the hour, day and week; T5 the last second of the week.
      await trace(a, WEEK_START, 100, 'COMPLETED', [
        llm('gpt-a', 10, 5, 0.01, WEEK_START),
        llm('gpt-b', 20, 7, 0.02, WEEK_START),
      ]);
      await trace(a, '2026-01-05T00:59:59.999Z', 300, 'ERROR', [
        // Odd usage values count as 0: a string, a missing key.
        buildSpan({ model: null, token_usage: { prompt_tokens: '12' }, cost: null }),
      ]);
      await trace(a, '2026-01-05T01:00:00Z', 200, 'COMPLETED', [
        llm('gpt-a', 1, 1, 0.001, '2026-01-05T01:00:00Z'),
        tool('2026-01-05T01:00:00Z'),
      ]);
      await trace(a, '2026-01-06T10:00:00Z', null, 'RUNNING', [
        buildSpan({ model: 'gpt-b', token_usage: null, cost: null }),
      ]);
      await trace(a, '2026-01-11T23:59:59Z', 400, 'ERROR', [llm('gpt-b', 100, 50, 0.5, '2026-01-11T23:59:59Z')]);
      // Outside the window on both sides (started_before is exclusive).
      await trace(a, '2026-01-04T23:59:59.999Z', 50, 'ERROR', [llm('gpt-a', 1000, 1000, 9, WEEK_START)]);
      await trace(a, WEEK_END, 50, 'ERROR', [llm('gpt-a', 1000, 1000, 9, WEEK_END)]);
      // Tenant B: the same week, busier. Never counted for A.
      for (let i = 0; i < 3; i++) {
        await trace(b, ms(WEEK_START, i * 1000), 5000, 'ERROR', [llm('gpt-secret', 7, 7, 7, WEEK_START)]);
      }
      // Answers come from the rollups from here on (the live path is compared with them below).
      await t.app.get(RollupRefresher).refreshAll();
    });

    it('volume by day: every day of the window, empty days as zeros, edges in the right bucket', async () => {
      const res = await week('volume', 'day');
      expect(res.body).toEqual([
        { bucket: '2026-01-05T00:00:00.000000+00:00', trace_count: 3, error_count: 1 },
        { bucket: '2026-01-06T00:00:00.000000+00:00', trace_count: 1, error_count: 0 },
        { bucket: '2026-01-07T00:00:00.000000+00:00', trace_count: 0, error_count: 0 },
        { bucket: '2026-01-08T00:00:00.000000+00:00', trace_count: 0, error_count: 0 },
        { bucket: '2026-01-09T00:00:00.000000+00:00', trace_count: 0, error_count: 0 },
        { bucket: '2026-01-10T00:00:00.000000+00:00', trace_count: 0, error_count: 0 },
        { bucket: '2026-01-11T00:00:00.000000+00:00', trace_count: 1, error_count: 1 },
      ]);
      // errors is the same series (AnalyticsBucket with error_count).
      expect((await week('errors', 'day')).body).toEqual(res.body);
    });

    it('volume by hour: 168 buckets, the hour edge splits T2 and T3', async () => {
      const rows: Row[] = (await week('volume', 'hour')).body;
      expect(rows).toHaveLength(168);
      expect(rows[0]).toEqual({ bucket: '2026-01-05T00:00:00.000000+00:00', trace_count: 2, error_count: 1 });
      expect(rows[1]).toEqual({ bucket: '2026-01-05T01:00:00.000000+00:00', trace_count: 1, error_count: 0 });
      expect(rows[24 + 10]).toEqual({ bucket: '2026-01-06T10:00:00.000000+00:00', trace_count: 1, error_count: 0 });
      expect(rows[167]).toEqual({ bucket: '2026-01-11T23:00:00.000000+00:00', trace_count: 1, error_count: 1 });
      expect(rows.reduce((n, r) => n + (r.trace_count as number), 0)).toBe(5);
      expect(rows.filter((r) => r.trace_count === 0)).toHaveLength(164);
    });

    it('volume by week: one Monday bucket', async () => {
      expect((await week('volume', 'week')).body).toEqual([
        { bucket: '2026-01-05T00:00:00.000000+00:00', trace_count: 5, error_count: 2 },
      ]);
    });

    it('latency: exact average; exact p50/p90/p99 (percentile_cont); null when none', async () => {
      const days: Row[] = (await week('latency', 'day')).body;
      expect(days).toHaveLength(7);
      // 2026-01-05: 100, 300, 200 ms.
      expect(days[0]).toMatchObject({ trace_count: 3, error_count: 1 });
      expect(days[0].avg_latency_ms).toBeCloseTo(200, 6);
      expectExact(days[0], { p50_latency_ms: 200, p90_latency_ms: 280, p99_latency_ms: 298 });
      // 2026-01-06: one trace without ended_at; 2026-01-07: none.
      for (const day of [days[1], days[2]]) {
        expect(day).toMatchObject({
          avg_latency_ms: null,
          p50_latency_ms: null,
          p90_latency_ms: null,
          p99_latency_ms: null,
        });
      }
      expect(days[6]).toMatchObject({ trace_count: 1, avg_latency_ms: 400 });
      expectExact(days[6], { p50_latency_ms: 400, p90_latency_ms: 400, p99_latency_ms: 400 });

      const [all] = (await week('latency', 'week')).body as Row[];
      expect(all).toMatchObject({ bucket: '2026-01-05T00:00:00.000000+00:00', trace_count: 5, error_count: 2 });
      expect(all.avg_latency_ms).toBeCloseTo(250, 6);
      expectExact(all, { p50_latency_ms: 250, p90_latency_ms: 370, p99_latency_ms: 397 });

      const hours: Row[] = (await week('latency', 'hour')).body;
      expect(hours[0].avg_latency_ms).toBeCloseTo(200, 6); // 100 and 300
      expectExact(hours[0], { p50_latency_ms: 200, p90_latency_ms: 280 });
      expectExact(hours[1], { p90_latency_ms: 200 });
    });

    it('tokens and cost: prompt, completion and cost.total summed over spans; total_tokens in usage ignored', async () => {
      const days: Row[] = (await week('tokens', 'day')).body;
      expect(days).toHaveLength(7);
      expect(days[0]).toMatchObject({
        bucket: '2026-01-05T00:00:00.000000+00:00',
        prompt_tokens: 31,
        completion_tokens: 13,
        total_tokens: 44,
      });
      expect(days[0].total_cost).toBeCloseTo(0.031, 10);
      expect(days[1]).toEqual({
        bucket: '2026-01-06T00:00:00.000000+00:00',
        total_tokens: 0,
        prompt_tokens: 0,
        completion_tokens: 0,
        total_cost: 0,
      });
      expect(days[6]).toMatchObject({ prompt_tokens: 100, completion_tokens: 50, total_tokens: 150, total_cost: 0.5 });
      expect((await week('cost', 'day')).body).toEqual(days);

      const hours: Row[] = (await week('cost', 'hour')).body;
      expect(hours).toHaveLength(168);
      expect(hours[0]).toMatchObject({ prompt_tokens: 30, completion_tokens: 12 });
      expect(hours[1]).toMatchObject({ prompt_tokens: 1, completion_tokens: 1 });

      const [all] = (await week('tokens', 'week')).body as Row[];
      expect(all).toMatchObject({ prompt_tokens: 131, completion_tokens: 63, total_tokens: 194 });
      expect(all.total_cost).toBeCloseTo(0.531, 10);
    });

    it('models: span models of the window ranked by calls, whatever the granularity', async () => {
      for (const granularity of ['hour', 'day', 'week']) {
        const rows: Row[] = (await week('models', granularity)).body;
        expect(rows.map((r) => ({ ...r, total_cost: Math.round((r.total_cost as number) * 1e6) / 1e6 }))).toEqual([
          { model: 'gpt-b', call_count: 3, total_tokens: 177, total_cost: 0.52 },
          { model: 'gpt-a', call_count: 2, total_tokens: 17, total_cost: 0.011 },
        ]);
      }
    });

    it('defaults: metric volume, granularity day, UTC', async () => {
      const res = await traces(a, { started_after: WEEK_START, started_before: WEEK_END }).expect(200);
      expect(res.body).toEqual((await week('volume', 'day')).body);
    });

    it('a window that is not bucket-aligned: partial first and last buckets, still labelled by their start', async () => {
      const res = await traces(a, {
        granularity: 'day',
        started_after: '2026-01-05T00:30:00Z',
        started_before: '2026-01-06T10:00:00Z',
      }).expect(200);
      expect(res.body).toEqual([
        { bucket: '2026-01-05T00:00:00.000000+00:00', trace_count: 2, error_count: 1 },
        { bucket: '2026-01-06T00:00:00.000000+00:00', trace_count: 0, error_count: 0 },
      ]);
    });

    it('isolation: another project’s traces are never counted, and each project sees only its own', async () => {
      const mine = (await week('volume', 'week', b)).body;
      expect(mine).toEqual([{ bucket: '2026-01-05T00:00:00.000000+00:00', trace_count: 3, error_count: 3 }]);
      const models = (await week('models', 'day')).body as Row[];
      expect(models.map((m) => m.model)).not.toContain('gpt-secret');
      expect((await week('models', 'day', b)).body).toEqual([
        { model: 'gpt-secret', call_count: 3, total_tokens: 42, total_cost: 21 },
      ]);
      const empty = await createTenant(t);
      const rows: Row[] = (await week('latency', 'day', empty)).body;
      expect(rows).toHaveLength(7);
      expect(rows.every((r) => r.trace_count === 0 && r.avg_latency_ms === null)).toBe(true);
      expect((await week('models', 'day', empty)).body).toEqual([]);
    });

    describe('time zones', () => {
      let c: Tenant;
      // America/New_York springs forward on 2026-03-08 at 02:00 local (07:00 UTC).
      const NY_DAYS = { started_after: '2026-03-07T05:00:00Z', started_before: '2026-03-10T04:00:00Z' };
      beforeAll(async () => {
        c = await createTenant(t);
        for (const start of [
          '2026-03-08T04:59:59Z', // 03-07 23:59:59 EST
          '2026-03-08T05:00:00Z', // 03-08 00:00:00 EST
          '2026-03-09T03:59:59Z', // 03-08 23:59:59 EDT
          '2026-03-09T04:00:00Z', // 03-09 00:00:00 EDT
        ]) {
          await trace(c, start, 10, 'COMPLETED');
        }
      });

      it('tz shifts day boundaries to local midnight, across a DST change (a 23-hour day)', async () => {
        const ny = await traces(c, { ...NY_DAYS, tz: 'America/New_York' }).expect(200);
        expect(ny.body).toEqual([
          { bucket: '2026-03-07T00:00:00.000000-05:00', trace_count: 1, error_count: 0 },
          { bucket: '2026-03-08T00:00:00.000000-05:00', trace_count: 2, error_count: 0 },
          { bucket: '2026-03-09T00:00:00.000000-04:00', trace_count: 1, error_count: 0 },
        ]);
        const utc = await traces(c, NY_DAYS).expect(200);
        expect(utc.body.map((r: Row) => [r.bucket, r.trace_count])).toEqual([
          ['2026-03-07T00:00:00.000000+00:00', 0],
          ['2026-03-08T00:00:00.000000+00:00', 2],
          ['2026-03-09T00:00:00.000000+00:00', 2],
          ['2026-03-10T00:00:00.000000+00:00', 0],
        ]);
      });

      it('hours of the DST day: 23 buckets, 02:00 local does not exist', async () => {
        const res = await traces(c, {
          granularity: 'hour',
          started_after: '2026-03-08T05:00:00Z',
          started_before: '2026-03-09T04:00:00Z',
          tz: 'America/New_York',
        }).expect(200);
        const labels = res.body.map((r: Row) => r.bucket);
        expect(labels).toHaveLength(23);
        expect(labels.slice(0, 3)).toEqual([
          '2026-03-08T00:00:00.000000-05:00',
          '2026-03-08T01:00:00.000000-05:00',
          '2026-03-08T03:00:00.000000-04:00',
        ]);
        expect(labels[22]).toBe('2026-03-08T23:00:00.000000-04:00');
        expect(res.body[0].trace_count).toBe(1);
        expect(res.body[22].trace_count).toBe(1);
      });

      it('weeks start on local Monday midnight', async () => {
        const res = await traces(c, {
          granularity: 'week',
          started_after: '2026-03-02T05:00:00Z',
          started_before: '2026-03-16T04:00:00Z',
          tz: 'America/New_York',
        }).expect(200);
        expect(res.body).toEqual([
          { bucket: '2026-03-02T00:00:00.000000-05:00', trace_count: 3, error_count: 0 },
          { bucket: '2026-03-09T00:00:00.000000-04:00', trace_count: 1, error_count: 0 },
        ]);
      });

      it('half-hour zones: hours start at :30 UTC in Asia/Kolkata', async () => {
        const res = await traces(a, {
          granularity: 'hour',
          started_after: WEEK_START,
          started_before: '2026-01-05T02:00:00Z',
          tz: 'Asia/Kolkata',
        }).expect(200);
        expect(res.body).toEqual([
          { bucket: '2026-01-05T05:00:00.000000+05:30', trace_count: 1, error_count: 0 },
          { bucket: '2026-01-05T06:00:00.000000+05:30', trace_count: 2, error_count: 1 },
          { bucket: '2026-01-05T07:00:00.000000+05:30', trace_count: 0, error_count: 0 },
        ]);
      });
    });

    describe('bad input: 422 with the field named', () => {
      const window = { started_after: WEEK_START, started_before: WEEK_END };
      const fieldsOf = (res: { body: { errors?: Array<{ field: string }> } }) => res.body.errors?.map((e) => e.field);

      it.each([
        [{ started_before: WEEK_END }, 'started_after'],
        [{ started_after: WEEK_START }, 'started_before'],
        [{ ...window, started_after: 'yesterday' }, 'started_after'],
        [{ ...window, metric: 'throughput' }, 'metric'],
        [{ ...window, granularity: 'month' }, 'granularity'],
        [{ ...window, tz: 'Mars/Olympus_Mons' }, 'tz'],
        [{ ...window, tz: '+05:00' }, 'tz'],
        [{ ...window, tz: 'UTC+3' }, 'tz'],
        [{ ...window, tz: '' }, 'tz'],
        [{ started_after: WEEK_END, started_before: WEEK_START }, 'started_before'],
        [{ started_after: WEEK_START, started_before: WEEK_START }, 'started_before'],
      ])('%p → 422 on %s', async (query, field) => {
        const res = await traces(a, query as Record<string, string>).expect(422);
        expect(res.body.detail).toBe('Validation error');
        expect(fieldsOf(res)).toContain(field);
      });

      it('too many buckets for the granularity: 422 that says so; the same window by week is fine', async () => {
        const twoYears = { started_after: '2024-01-01T00:00:00Z', started_before: '2026-01-01T00:00:00Z' };
        const res = await traces(a, { ...twoYears, granularity: 'hour' }).expect(422);
        expect(res.body.errors).toEqual([{ field: 'granularity', message: expect.stringContaining('10000') }]);
        expect((await traces(a, { ...twoYears, granularity: 'week' }).expect(200)).body).toHaveLength(105);
        await traces(a, { ...twoYears, granularity: 'hour', metric: 'models' }).expect(200);
      });
    });
  });

  describe('rollups', () => {
    const FROM = '2026-02-01T00:00:00Z';
    const TO = '2026-02-05T00:00:00Z';
    let r: Tenant;

    /** Every trace metric at two granularities, numbers rounded so float summation order does not matter. */
    async function everything(tenant: Tenant) {
      const out: Record<string, unknown> = {};
      for (const metric of ['volume', 'latency', 'tokens', 'models']) {
        for (const granularity of ['hour', 'day']) {
          const res = await traces(tenant, { metric, granularity, started_after: FROM, started_before: TO }).expect(
            200,
          );
          out[`${metric}/${granularity}`] = JSON.parse(
            JSON.stringify(res.body, (_, v) => (typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : v)),
          );
        }
      }
      return out;
    }
    const refresh = () => t.app.get(RollupRefresher).refreshAll();
    /** Marks every slot of the project dirty: the next reads compute everything from raw rows. */
    const forceLive = (tenant: Tenant) =>
      t.dataSource.query(
        `INSERT INTO rollup_dirty (project_id, slot)
         SELECT DISTINCT project_id, date_bin('15 minutes', started_at, TIMESTAMPTZ '2000-01-01 00:00:00+00')
         FROM traces WHERE project_id = $1`,
        [tenant.projectId],
      );
    const rollupRows = (tenant: Tenant) =>
      t.dataSource.query(
        `SELECT slot, trace_count, error_count, latency_count, round(latency_sum::numeric, 6) AS latency_sum,
                prompt_tokens::float8, completion_tokens::float8, round(total_cost::numeric, 9) AS total_cost
         FROM trace_rollups WHERE project_id = $1 ORDER BY slot`,
        [tenant.projectId],
      );
    const rawRows = (tenant: Tenant) =>
      t.dataSource.query(
        `SELECT date_bin('15 minutes', t.started_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS slot, count(*)::int AS trace_count,
                (count(*) FILTER (WHERE t.status = 'ERROR'))::int AS error_count, count(t.latency_ms)::int AS latency_count,
                round(COALESCE(sum(t.latency_ms), 0)::numeric, 6) AS latency_sum,
                COALESCE(sum((SELECT sum((s.token_usage->>'prompt_tokens')::numeric) FROM spans s WHERE s.trace_id = t.trace_id)), 0)::float8 AS prompt_tokens,
                COALESCE(sum((SELECT sum((s.token_usage->>'completion_tokens')::numeric) FROM spans s WHERE s.trace_id = t.trace_id)), 0)::float8 AS completion_tokens,
                round(COALESCE(sum(t.total_cost), 0)::numeric, 9) AS total_cost
         FROM traces t WHERE t.project_id = $1 GROUP BY 1 ORDER BY 1`,
        [tenant.projectId],
      );
    const dirtyCount = async (tenant: Tenant) =>
      (
        await t.dataSource.query(`SELECT count(*)::int AS n FROM rollup_dirty WHERE project_id = $1`, [
          tenant.projectId,
        ])
      )[0].n;

    let kept: { trace_id: string; spans: Array<{ span_id: string }> };
    let moved: Record<string, unknown>;
    let doomed: string[];

    beforeAll(async () => {
      r = await createTenant(t);
      const starts = ['2026-02-01T00:00:00Z', '2026-02-01T07:20:00Z', '2026-02-02T13:14:59Z', '2026-02-03T23:59:59Z'];
      const made = [];
      for (const [i, start] of starts.entries()) {
        made.push(
          await ingestTrace(t, r, {
            started_at: start,
            ended_at: ms(start, 100 * (i + 1)),
            status: i === 1 ? 'ERROR' : 'COMPLETED',
            spans: [llm(`m-${i % 2}`, 10 * i, i, 0.1 * i, start), tool(start)] as never,
          }),
        );
      }
      kept = made[0] as never;
      moved = made[1];
      doomed = [made[2].trace_id, made[3].trace_id];
      await refresh();
    });

    it('after ingestion the rollups equal the raw computation, and no slot is left dirty', async () => {
      expect(await dirtyCount(r)).toBe(0);
      expect(await rollupRows(r)).toEqual(await rawRows(r));
      expect((await rollupRows(r)).length).toBe(4);
    });

    it('after span updates, new spans, a moved trace, deletes and late-arriving traces: exact before and after the refresh', async () => {
      const baseline = await everything(r);
      // A span's model and usage change; spans are added to a refreshed trace.
      await t.http
        .patch(`/traces/${kept.trace_id}/spans/${kept.spans[0].span_id}`)
        .set(r.headers)
        .send({ model: 'm-patched', token_usage: { prompt_tokens: 1000, completion_tokens: 1 } })
        .expect(200);
      await t.http
        .post(`/traces/${kept.trace_id}/spans`)
        .set(r.headers)
        .send([llm('m-added', 5, 5, 0.5, '2026-02-01T00:00:01Z')])
        .expect(201);
      // A trace re-posted with another start moves to another slot (and day).
      await t.http
        .post('/traces')
        .set(r.headers)
        .send({ ...moved, started_at: '2026-02-04T10:00:00Z', spans: [] })
        .expect(202);
      // One deleted alone, one in a batch.
      await t.http.delete(`/traces/${doomed[0]}`).set(r.headers).expect(204);
      await t.http
        .post('/traces/batch/delete')
        .set(r.headers)
        .send({ trace_ids: [doomed[1]] })
        .expect(200);
      // Late arrivals into slots that were already refreshed, and into a fresh one.
      await trace(r, '2026-02-01T00:00:05Z', 50, 'ERROR', [llm('m-late', 3, 3, 0.3, '2026-02-01T00:00:05Z')]);
      await trace(r, '2026-02-02T13:00:00Z', 70, 'COMPLETED', [llm('m-late', 4, 4, 0.4, '2026-02-02T13:00:00Z')]);

      const beforeRefresh = await everything(r);
      expect(beforeRefresh).not.toEqual(baseline);
      const day = (beforeRefresh['volume/day'] as Row[]).map((x) => x.trace_count);
      expect(day).toEqual([2, 1, 0, 1]);
      const models = (beforeRefresh['models/day'] as Row[]).map((x) => x.model);
      expect(models).toEqual(expect.arrayContaining(['m-patched', 'm-added', 'm-late']));
      expect(models).not.toContain('m-0');

      await refresh();
      expect(await dirtyCount(r)).toBe(0);
      expect(await rollupRows(r)).toEqual(await rawRows(r));
      expect(await everything(r)).toEqual(beforeRefresh);
      // And everything computed from the raw rows alone gives the same answers.
      await forceLive(r);
      expect(await everything(r)).toEqual(beforeRefresh);
      await refresh();
    });

    it('model and latency rollups equal the raw computation', async () => {
      const models = await t.dataSource.query(
        `SELECT slot, model, call_count, total_tokens::float8 FROM model_rollups WHERE project_id = $1 ORDER BY 1, 2`,
        [r.projectId],
      );
      const rawModels = await t.dataSource.query(
        `SELECT date_bin('15 minutes', t.started_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS slot, s.model, count(*)::int AS call_count,
                sum(COALESCE((s.token_usage->>'prompt_tokens')::numeric, 0) + COALESCE((s.token_usage->>'completion_tokens')::numeric, 0))::float8 AS total_tokens
         FROM traces t JOIN spans s ON s.trace_id = t.trace_id WHERE t.project_id = $1 AND s.model IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2`,
        [r.projectId],
      );
      expect(models).toEqual(rawModels);
      const [{ n }] = await t.dataSource.query(
        `SELECT COALESCE(sum(count), 0)::int AS n FROM latency_rollups WHERE project_id = $1`,
        [r.projectId],
      );
      const [{ raw }] = await t.dataSource.query(
        `SELECT count(latency_ms)::int AS raw FROM traces WHERE project_id = $1`,
        [r.projectId],
      );
      expect(n).toBe(raw);
      // The hourly and daily histograms are the slot histogram summed per UTC hour and per UTC day.
      for (const [period, table] of [
        ['hour', 'latency_hour_rollups'],
        ['day', 'latency_day_rollups'],
      ]) {
        const summed = await t.dataSource.query(
          `SELECT ${period} AS at, k, count FROM ${table} WHERE project_id = $1 ORDER BY 1, 2`,
          [r.projectId],
        );
        const fromSlots = await t.dataSource.query(
          `SELECT date_bin('1 ${period}', slot, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS at, k, sum(count)::int AS count
           FROM latency_rollups WHERE project_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`,
          [r.projectId],
        );
        expect(summed).toEqual(fromSlots);
        expect(summed.length).toBeGreaterThan(0);
      }
      // Every refreshed hour with latencies has its precomputed percentiles.
      const [{ missing }] = await t.dataSource.query(
        `SELECT count(*)::int AS missing FROM (SELECT DISTINCT hour FROM latency_hour_rollups WHERE project_id = $1) h
         WHERE NOT EXISTS (SELECT 1 FROM latency_hour_percentiles p WHERE p.project_id = $1 AND p.hour = h.hour)`,
        [r.projectId],
      );
      expect(missing).toBe(0);
    });

    it('hourly latency histogram: a bucket mixing a live edge slot and whole rolled-up hours is exact', async () => {
      const h = await createTenant(t);
      const from = '2026-02-02T05:05:00Z'; // slot 05:00 is a partial edge, computed live
      for (const [start, latency] of [
        ['2026-02-02T05:07:00Z', 100],
        ['2026-02-02T06:10:00Z', 200],
        ['2026-02-02T06:50:00Z', 300],
      ] as const) {
        await ingestTrace(t, h, { started_at: start, ended_at: ms(start, latency), spans: [] as never });
      }
      const latency = (granularity: string) =>
        traces(h, { metric: 'latency', granularity, started_after: from, started_before: TO }).expect(200);
      const live = (await latency('day')).body;
      await refresh();
      const [{ n }] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM latency_hour_rollups WHERE project_id = $1 AND hour = '2026-02-02T06:00:00Z'`,
        [h.projectId],
      );
      expect(n).toBe(2);
      const rolled = (await latency('day')).body;
      expect(rolled).toEqual(live);
      expectExact(rolled[0], { p50_latency_ms: 200, p90_latency_ms: 280, avg_latency_ms: 200 });
      await forceLive(h);
      const liveHours = (await latency('hour')).body;
      await refresh();
      expect((await latency('hour')).body).toEqual(liveHours);
    });

    it('a timer pass takes every mark of a closed slot in one go and leaves the open slot to the live path', async () => {
      const o = await createTenant(t);
      const closed = '2026-02-03T10:00:00Z';
      const now = new Date().toISOString();
      await trace(o, ms(closed, 1000), 100, 'COMPLETED', [llm('m-closed', 1, 1, 0.1, closed)]);
      await trace(o, now, 100, 'COMPLETED', [llm('m-open', 2, 2, 0.2, now)]);
      const refresher = t.app.get(RollupRefresher);
      await refresher.run(); // a timer pass: the closed slot is refreshed, the open one waits
      // 500 more marks of the closed slot, as 500 one-trace statements would leave: one recompute.
      await t.dataSource.query(
        `INSERT INTO rollup_dirty (project_id, slot) SELECT $1, $2::timestamptz FROM generate_series(1, 500)`,
        [o.projectId, closed],
      );
      const window = { metric: 'tokens', granularity: 'day', started_after: closed, started_before: ms(now, 60_000) };
      const live = (await traces(o, window).expect(200)).body;
      // At most one (project, slot) taken (zero if the service's own timer got there first); 200 marks
      // a transaction, as before, would have taken the same slot three times.
      expect(await refresher.run()).toBeLessThanOrEqual(1);
      const marks = await t.dataSource.query(
        `SELECT slot, count(*)::int AS n FROM rollup_dirty WHERE project_id = $1 GROUP BY slot`,
        [o.projectId],
      );
      expect(marks).toEqual([{ slot: expect.any(Date), n: 1 }]);
      expect((marks[0].slot as Date).getTime()).toBeGreaterThan(new Date(closed).getTime());
      const rolled = await t.dataSource.query(
        `SELECT slot FROM trace_rollups WHERE project_id = $1 ORDER BY slot`,
        [o.projectId],
      );
      expect(rolled).toEqual([{ slot: new Date(closed) }]);
      // The open slot is computed live: the answers are the same, and refreshAll takes it too.
      expect((await traces(o, window).expect(200)).body).toEqual(live);
      await refresh();
      expect(await dirtyCount(o)).toBe(0);
      expect((await traces(o, window).expect(200)).body).toEqual(live);
    });
  });

  describe('trace-score analytics', () => {
    let traceId: string;
    let otherTraceId: string;
    let s: Tenant;

    /** Stores a score row as any writer could have left it (the API would refuse the odd values). */
    async function storeScore(
      tenant: Tenant,
      trace: string,
      name: string,
      value: string | null,
      createdAt: string,
      opts: { dataType?: string; status?: string } = {},
    ) {
      await t.dataSource.query(
        `INSERT INTO trace_scores (trace_id, project_id, name, data_type, value, source, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'AUTOMATED', $6, $7, $7)`,
        [trace, tenant.projectId, name, opts.dataType ?? 'NUMERIC', value, opts.status ?? 'SUCCESS', createdAt],
      );
    }

    beforeAll(async () => {
      s = await createTenant(t);
      traceId = (await ingestTrace(t, s)).trace_id;
      otherTraceId = (await ingestTrace(t, b)).trace_id;
      await storeScore(s, traceId, 'quality', '0.2', '2026-01-05T00:00:00Z');
      await storeScore(s, traceId, 'quality', '0.4', '2026-01-05T10:00:00Z');
      await storeScore(s, traceId, 'quality', '1.0', '2026-01-07T00:00:00Z');
      await storeScore(s, traceId, 'quality', '0', '2026-01-07T05:00:00Z');
      await storeScore(s, traceId, 'quality', '0.3', '2026-01-07T06:00:00Z', { status: 'FAILED' });
      await storeScore(s, traceId, 'quality', null, '2026-01-07T06:00:00Z', { status: 'FAILED' });
      await storeScore(s, traceId, 'quality', 'abc', '2026-01-06T00:00:00Z');
      await storeScore(s, traceId, 'quality', 'true', '2026-01-06T00:00:00Z', { dataType: 'BOOLEAN' });
      // Another project's scores of the same metric, in the same days.
      for (const v of ['0.9', '0.95', '0.99']) await storeScore(b, otherTraceId, 'quality', v, '2026-01-06T12:00:00Z');
    });

    const trend = (query: Record<string, string | number>, tenant = s) =>
      get(tenant, TREND, { metric_name: 'quality', ...query });
    const histogram = (query: Record<string, string | number>, tenant = s) =>
      get(tenant, DISTRIBUTION, { metric_name: 'quality', ...query });

    it('trend by day: average of numeric successful scores, empty days with count 0', async () => {
      const res = await trend({ date_from: '2026-01-05T00:00:00Z', date_to: '2026-01-08T00:00:00Z' }).expect(200);
      expect(res.body).toEqual([
        { bucket: '2026-01-05T00:00:00.000000+00:00', metric_name: 'quality', avg_score: 0.3, count: 2 },
        { bucket: '2026-01-06T00:00:00.000000+00:00', metric_name: 'quality', avg_score: 0, count: 0 },
        { bucket: '2026-01-07T00:00:00.000000+00:00', metric_name: 'quality', avg_score: 0.5, count: 2 },
      ]);
    });

    it('trend without dates spans the metric’s scores; by week and by hour', async () => {
      const byDay = await trend({}).expect(200);
      expect(byDay.body.map((r: Row) => [r.bucket, r.count])).toEqual([
        ['2026-01-05T00:00:00.000000+00:00', 2],
        ['2026-01-06T00:00:00.000000+00:00', 0],
        ['2026-01-07T00:00:00.000000+00:00', 2],
      ]);
      expect((await trend({ granularity: 'week' }).expect(200)).body).toEqual([
        { bucket: '2026-01-05T00:00:00.000000+00:00', metric_name: 'quality', avg_score: 0.4, count: 4 },
      ]);
      const hours: Row[] = (await trend({ granularity: 'hour' }).expect(200)).body;
      expect(hours).toHaveLength(54); // 2026-01-05T00 .. 2026-01-07T05
      expect(hours[10]).toMatchObject({ bucket: '2026-01-05T10:00:00.000000+00:00', avg_score: 0.4, count: 1 });
      expect(hours[53]).toMatchObject({ bucket: '2026-01-07T05:00:00.000000+00:00', avg_score: 0, count: 1 });
    });

    it('trend with tz, for an unknown metric, and bad input', async () => {
      const local = await trend({
        date_from: '2026-01-05T00:00:00Z',
        date_to: '2026-01-06T00:00:00Z',
        tz: 'Europe/Berlin',
      });
      expect(local.body.map((r: Row) => [r.bucket, r.count])).toEqual([
        ['2026-01-05T00:00:00.000000+01:00', 2],
        ['2026-01-06T00:00:00.000000+01:00', 0],
      ]);
      expect((await get(s, TREND, { metric_name: 'nothing' }).expect(200)).body).toEqual([]);
      await get(s, TREND, {}).expect(422);
      await trend({ granularity: 'minute' }).expect(422);
      await trend({ tz: 'Nowhere/City' }).expect(422);
      await trend({ date_from: '2026-01-05T00:00:00Z', date_to: '2026-01-04T00:00:00Z' }).expect(422);
      const tooMany = await trend({
        date_from: '2000-01-01T00:00:00Z',
        date_to: '2026-01-01T00:00:00Z',
        granularity: 'hour',
      });
      expect(tooMany.status).toBe(422);
    });

    it('distribution: every bucket, 0 in the first, 1.0 in the last, non-numeric counted apart', async () => {
      const res = await histogram({}).expect(200);
      expect(res.body).toHaveLength(10);
      expect(res.body[0]).toEqual({ bucket: 1, bucket_min: 0, bucket_max: 0.1, count: 1, non_numeric_count: 2 });
      expect(res.body[9]).toEqual({ bucket: 10, bucket_min: 0.9, bucket_max: 1, count: 1, non_numeric_count: 2 });
      expect(res.body.map((r: Row) => r.count)).toEqual([1, 0, 1, 0, 1, 0, 0, 0, 0, 1]);
      expect(res.body.map((r: Row) => r.bucket_min)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);

      const one = await histogram({ buckets: 1 }).expect(200);
      expect(one.body).toEqual([{ bucket: 1, bucket_min: 0, bucket_max: 1, count: 4, non_numeric_count: 2 }]);
      const windowed = await histogram({ date_from: '2026-01-07T00:00:00Z', buckets: 2 }).expect(200);
      expect(windowed.body.map((r: Row) => r.count)).toEqual([1, 1]);
      expect(windowed.body[0].non_numeric_count).toBe(0);
      // Bucket edges are exact: 0.5 opens the second half.
      await storeScore(s, traceId, 'edges', '0.5', '2026-01-05T00:00:00Z');
      await storeScore(s, traceId, 'edges', '0.49999', '2026-01-05T00:00:00Z');
      const edges = await get(s, DISTRIBUTION, { metric_name: 'edges', buckets: 2 }).expect(200);
      expect(edges.body.map((r: Row) => r.count)).toEqual([1, 1]);
    });

    it('distribution bad input: 422', async () => {
      for (const buckets of [0, 101, 'ten', 2.5]) await histogram({ buckets }).expect(422);
      await get(s, DISTRIBUTION, {}).expect(422);
      await histogram({ date_from: 'soon' }).expect(422);
    });

    it('isolation: the other project’s scores of the same metric are not counted, and vice versa', async () => {
      const theirs = await trend({}, b).expect(200);
      expect(theirs.body).toEqual([
        { bucket: '2026-01-06T00:00:00.000000+00:00', metric_name: 'quality', avg_score: expect.any(Number), count: 3 },
      ]);
      expect(theirs.body[0].avg_score).toBeCloseTo(0.9466666666, 6);
      const hist = await histogram({}, b).expect(200);
      expect(hist.body.map((r: Row) => r.count)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 3]);
      // 0.2, 0.4, 1.0, 0, the unreadable 'abc' and the BOOLEAN 'true': successes of every type.
      expect((await get(s, SUMMARY, {}).expect(200)).body.find((r: Row) => r.metric_name === 'quality')).toMatchObject({
        success_count: 6,
        failed_count: 2,
        non_numeric_count: 2,
      });
    });

    it('the summary keeps working whatever values are stored', async () => {
      const odd = await createTenant(t);
      const oddTrace = (await ingestTrace(t, odd)).trace_id;
      const values = [
        'abc',
        '0.5_0',
        '٠.٥',
        'NaN',
        'Infinity',
        '-Infinity',
        '1e999',
        '1.5',
        '-0.1',
        '',
        '   ',
        '0x1',
        '1,5',
      ];
      for (const v of values) await storeScore(odd, oddTrace, 'odd', v, '2026-01-05T00:00:00Z');
      await storeScore(odd, oddTrace, 'odd', '0.2', '2026-01-05T00:00:00Z');
      await storeScore(odd, oddTrace, 'odd', ' 0.4 ', '2026-01-05T01:00:00Z');
      await storeScore(odd, oddTrace, 'odd', null, '2026-01-05T02:00:00Z', { status: 'FAILED' });
      const res = await get(odd, SUMMARY, {}).expect(200);
      expect(res.body).toEqual([
        {
          metric_name: 'odd',
          avg_score: expect.closeTo(0.3, 10),
          min_score: 0.2,
          max_score: 0.4,
          median_score: expect.closeTo(0.3, 10),
          success_count: 2 + values.length,
          failed_count: 1,
          non_numeric_count: values.length,
          latest_score_at: '2026-01-05T02:00:00.000000+00:00',
        },
      ]);
      const trendRes = await get(odd, TREND, { metric_name: 'odd', granularity: 'week' }).expect(200);
      expect(trendRes.body).toEqual([
        {
          bucket: '2026-01-05T00:00:00.000000+00:00',
          metric_name: 'odd',
          avg_score: expect.closeTo(0.3, 10),
          count: 2,
        },
      ]);
      const hist = await get(odd, DISTRIBUTION, { metric_name: 'odd', buckets: 5 }).expect(200);
      expect(hist.body.map((r: Row) => r.count)).toEqual([0, 1, 1, 0, 0]);
      expect(hist.body[0].non_numeric_count).toBe(values.length);
      // A metric with only odd values: statistics are null, never an error.
      await storeScore(odd, oddTrace, 'only-odd', 'NaN', '2026-01-05T00:00:00Z');
      const onlyOdd = (await get(odd, SUMMARY, {}).expect(200)).body.find((r: Row) => r.metric_name === 'only-odd');
      expect(onlyOdd).toMatchObject({ avg_score: null, median_score: null, success_count: 1, non_numeric_count: 1 });
    });

    it('a project without scores: summary [], trend [], every histogram bucket empty', async () => {
      const fresh = await createTenant(t);
      expect((await get(fresh, SUMMARY, {}).expect(200)).body).toEqual([]);
      expect((await get(fresh, TREND, { metric_name: 'quality' }).expect(200)).body).toEqual([]);
      const hist = await get(fresh, DISTRIBUTION, { metric_name: 'quality' }).expect(200);
      expect(hist.body.every((r: Row) => r.count === 0 && r.non_numeric_count === 0)).toBe(true);
    });
  });
});
