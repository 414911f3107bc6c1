import { randomUUID } from 'node:crypto';
import { evalRunTestEnv, waitForRun } from '../factories/eval-run.factory';
import { createMonitor, monitorBody, MONITORS } from '../factories/monitor.factory';
import { ingestSession, runSessionIds, SESSION_RUNS } from '../factories/session-run.factory';
import { ingestTrace } from '../factories/trace.factory';
import { JudgeServer, startJudgeServer } from '../support/judge-server';
import { createMember, createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

/** The original's MonitorResponse keys, plus ours. */
const MONITOR_KEYS = [
  'id',
  'project_id',
  'name',
  'target_type',
  'metric_names',
  'filters',
  'sampling_rate',
  'model',
  'cadence',
  'cadence_interval',
  'only_if_changed',
  'status',
  'last_run_at',
  'last_run_id',
  'next_run_at',
  'created_at',
  'updated_at',
  'scope',
  'watermark',
  'last_skip_reason',
  'last_skipped_at',
  'max_judge_calls',
  'max_judge_tokens',
  'max_judge_calls_per_day',
  'max_judge_tokens_per_day',
  'run_totals',
].sort();

const DAY = 86_400_000;

describe('monitors API (every route, 201/200/202/204/404/422)', () => {
  let judge: JudgeServer;
  let t: TestApp;
  let a: Tenant;

  beforeAll(async () => {
    judge = await startJudgeServer();
    t = await createTestApp(
      evalRunTestEnv(judge.baseUrl, 'mon', { RUN_WORKER_IN_PROCESS: 'true', MONITOR_SCHEDULER_ENABLED: 'false' }),
    );
    a = await createTenant(t);
    await ingestTrace(t, a, { name: 'first', started_at: '2026-01-10T10:00:00Z' });
  });

  afterAll(async () => {
    await t?.close();
    await judge?.close();
  });

  const post = (body: Record<string, unknown>, tenant: Tenant = a) =>
    t.http.post(MONITORS).set(tenant.headers).send(body);
  const fieldsOf = (res: { body: { errors?: Array<{ field: string }> } }) =>
    (res.body.errors ?? []).map((e) => e.field);

  describe('POST /evaluations/monitors', () => {
    it('creates a TRACE daily monitor: 201 with every field, ACTIVE, next_run_at one day after creation', async () => {
      const res = await post(monitorBody({ name: 'Daily prod eval', metrics: ['confidence', 'confidence'] })).expect(
        201,
      );
      const m = res.body;
      expect(Object.keys(m).sort()).toEqual(MONITOR_KEYS);
      expect(m).toMatchObject({
        name: 'Daily prod eval',
        target_type: 'TRACE',
        metric_names: ['confidence'],
        cadence: 'daily',
        status: 'ACTIVE',
        only_if_changed: true,
        scope: 'new',
        filters: {},
        sampling_rate: 1,
        model: null,
        project_id: a.projectId,
        last_run_at: null,
        last_run_id: null,
        watermark: null,
        last_skip_reason: null,
      });
      expect(Date.parse(m.next_run_at) - Date.parse(m.created_at)).toBeGreaterThan(DAY - 5_000);
      expect(Date.parse(m.next_run_at) - Date.parse(m.created_at)).toBeLessThan(DAY + 5_000);
      expect(m.run_totals).toMatchObject({ runs: 0, judge_calls: 0, budget_stopped: 0 });
    });

    it('creates a SESSION weekly monitor with signal_weights stored inside filters', async () => {
      const res = await post({
        name: 'sessions',
        target_type: 'SESSION',
        metrics: ['agent_reliability'],
        cadence: 'weekly',
        filters: { has_error: false, min_trace_count: 2 },
        signal_weights: { confidence: 0.5 },
      }).expect(201);
      expect(res.body.filters).toEqual({ has_error: false, min_trace_count: 2, signal_weights: { confidence: 0.5 } });
    });

    it.each([
      ['cron:0 9 * * 1-5', 'cron:0 9 * * 1-5'],
      ['cron:  0   9 * *  1-5 ', 'cron:0 9 * * 1-5'],
      ['every_15m', 'every_15m'],
      ['every_6h', 'every_6h'],
    ])('accepts cadence %j, stored as %j', async (cadence, stored) => {
      const res = await post(monitorBody({ cadence })).expect(201);
      // An every_<n>m|h interval is shown in its cron: form, the exact interval beside it.
      expect(res.body.cadence_interval ?? res.body.cadence).toBe(stored);
      expect(Date.parse(res.body.next_run_at)).toBeGreaterThan(Date.now() - 1000);
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['an unknown metric', { metrics: ['nope'] }, 'Unknown TRACE metrics: nope'],
      ['a session metric on a TRACE monitor', { metrics: ['agent_reliability'] }, 'Unknown TRACE metrics'],
      ['a trace metric on a SESSION monitor', { target_type: 'SESSION', metrics: ['confidence'] }, 'Unknown SESSION'],
      ['cadence biweekly', { cadence: 'biweekly' }, 'Validation error'],
      ['cadence custom', { cadence: 'custom' }, 'Validation error'],
      ['a 6-field cron', { cadence: 'cron:0 0 9 * * *' }, 'Validation error'],
      ['target_type INVALID', { target_type: 'INVALID' }, 'Validation error'],
      ['signal_weights on TRACE', { signal_weights: { confidence: 1 } }, 'Validation error'],
      ['an unknown signal', { target_type: 'SESSION', metrics: ['agent_reliability'], signal_weights: { x: 1 } }, ''],
      [
        "a signal weight over 100 (the session runs' bound)",
        { target_type: 'SESSION', metrics: ['agent_reliability'], signal_weights: { confidence: 101 } },
        'Validation error',
      ],
      ['an unknown TRACE filter key', { filters: { has_error: true } }, 'Validation error'],
      [
        'an unknown SESSION filter key',
        { target_type: 'SESSION', metrics: ['agent_reliability'], filters: { status: 'ERROR' } },
        '',
      ],
      ['a bad filter value', { filters: { status: 'BOGUS' } }, 'Validation error'],
      ['a bad filter date', { filters: { date_from: 'yesterday' } }, 'Validation error'],
      ['sampling_rate 0', { sampling_rate: 0 }, 'sampling_rate 0'],
      ['sampling_rate 2', { sampling_rate: 2 }, 'Validation error'],
      ['no name', { name: undefined }, 'Validation error'],
      ['an unknown scope', { scope: 'some' }, 'Validation error'],
      ['an unknown body key', { colour: 'blue' }, 'Validation error'],
    ])('refuses %s: 422', async (_, overrides, detail) => {
      const res = await post(monitorBody(overrides)).expect(422);
      expect(res.body.detail).toContain(detail);
    });

    it('refuses __proto__ and constructor in signal_weights by name, on create and on PATCH (never dropped)', async () => {
      // Raw JSON text: a JS object literal cannot carry an own __proto__ key.
      const body = (key: string) =>
        `{"name": "w", "target_type": "SESSION", "metrics": ["agent_reliability"], "cadence": "daily", "signal_weights": {"${key}": 1, "confidence": 1}}`;
      for (const key of ['__proto__', 'constructor']) {
        const res = await t.http.post(MONITORS).set(a.headers).set('Content-Type', 'application/json').send(body(key));
        expect([res.status, fieldsOf(res)]).toEqual([422, [`signal_weights -> ${key}`]]);
      }
      const created = await post(monitorBody({ target_type: 'SESSION', metrics: ['agent_reliability'] })).expect(201);
      const patched = await t.http
        .patch(`${MONITORS}/${created.body.id}`)
        .set(a.headers)
        .set('Content-Type', 'application/json')
        .send('{"signal_weights": {"__proto__": 1}}');
      expect([patched.status, fieldsOf(patched)]).toEqual([422, ['signal_weights -> __proto__']]);
    });

    it('names the unknown filter key and the allowed ones', async () => {
      const res = await post(monitorBody({ filters: { has_error: true, tags: ['x'] } })).expect(422);
      expect(fieldsOf(res)).toEqual(['filters -> has_error']);
      expect(res.body.errors[0].message).toContain(
        'allowed: date_from, date_to, status, session_id, user_id, tags, name',
      );
      const cadence = await post(monitorBody({ cadence: 'biweekly' })).expect(422);
      expect(fieldsOf(cadence)).toEqual(['cadence']);
    });
  });

  describe('GET /evaluations/monitors', () => {
    it('lists newest first with paging and a status filter', async () => {
      const b = await createTenant(t);
      const m1 = await createMonitor(t, b, { name: 'one' });
      const m2 = await createMonitor(t, b, { name: 'two' });
      const m3 = await createMonitor(t, b, { name: 'three' });
      await t.http.post(`${MONITORS}/${m2.id}/pause`).set(b.headers).expect(200);
      const all = (await t.http.get(MONITORS).set(b.headers).expect(200)).body;
      expect(all.total).toBe(3);
      expect(all.items.map((m: any) => m.id)).toEqual([m3.id, m2.id, m1.id]);
      const page = (await t.http.get(`${MONITORS}?limit=1&offset=1`).set(b.headers).expect(200)).body;
      expect(page).toMatchObject({ total: 3, limit: 1, offset: 1 });
      expect(page.items.map((m: any) => m.id)).toEqual([m2.id]);
      const paused = (await t.http.get(`${MONITORS}?status=PAUSED`).set(b.headers).expect(200)).body;
      expect(paused.items.map((m: any) => m.id)).toEqual([m2.id]);
      const active = (await t.http.get(`${MONITORS}?status=ACTIVE`).set(b.headers).expect(200)).body;
      expect(active.items.every((m: any) => m.status === 'ACTIVE')).toBe(true);
      await t.http.get(`${MONITORS}?status=STOPPED`).set(b.headers).expect(422);
      await t.http.get(`${MONITORS}?limit=0`).set(b.headers).expect(422);
    });
  });

  describe('GET /evaluations/monitors/{id}', () => {
    it('200 with the same monitor; 404 for an unknown id; 422 for a malformed one', async () => {
      const m = await createMonitor(t, a);
      const res = await t.http.get(`${MONITORS}/${m.id}`).set(a.headers).expect(200);
      expect(res.body).toEqual(m);
      const missing = randomUUID();
      const nf = await t.http.get(`${MONITORS}/${missing}`).set(a.headers).expect(404);
      expect(nf.body.detail).toBe(`Monitor ${missing} not found.`);
      await t.http.get(`${MONITORS}/not-a-uuid`).set(a.headers).expect(422);
    });

    it('answers with Bearer + X-Project-ID as well', async () => {
      const m = await createMonitor(t, a);
      const member = await createMember(t, a);
      await t.http.get(`${MONITORS}/${m.id}`).set(member.headers).expect(200);
    });
  });

  describe('PATCH /evaluations/monitors/{id}', () => {
    it('changes name and cadence (next_run_at recomputed from now), leaving the rest', async () => {
      const m = await createMonitor(t, a, { cadence: 'weekly', filters: { tags: ['prod'] } });
      const res = await t.http
        .patch(`${MONITORS}/${m.id}`)
        .set(a.headers)
        .send({ name: 'renamed', cadence: 'cron:30 2 * * *' })
        .expect(200);
      expect(res.body).toMatchObject({ name: 'renamed', cadence: 'cron:30 2 * * *', filters: { tags: ['prod'] } });
      const next = new Date(res.body.next_run_at);
      expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([2, 30]);
      expect(next.getTime() - Date.now()).toBeLessThanOrEqual(DAY);
    });

    it('shows an hourly monitor to the dashboard as cron: and keeps it hourly when the dashboard saves it back', async () => {
      const m = await createMonitor(t, a, { cadence: 'every_1h' });
      const minute = new Date(m.created_at).getUTCMinutes();
      expect(m).toMatchObject({ cadence: `cron:${minute} * * * *`, cadence_interval: 'every_1h' });
      // The dashboard's monitor form sends every field back, the cadence as it was shown.
      const saved = await t.http
        .patch(`${MONITORS}/${m.id}`)
        .set(a.headers)
        .send({ name: 'edited in the dashboard', cadence: m.cadence })
        .expect(200);
      expect(saved.body).toMatchObject({
        cadence: m.cadence,
        cadence_interval: 'every_1h',
        next_run_at: m.next_run_at,
      });
      const [row] = await t.dataSource.query(`SELECT cadence, schedule_anchor FROM eval_monitors WHERE id = $1`, [
        m.id,
      ]);
      expect(row.cadence).toBe('every_1h');
      // Any other cadence is a change, and the exact interval is still accepted on input.
      const daily = await t.http.patch(`${MONITORS}/${m.id}`).set(a.headers).send({ cadence: 'daily' }).expect(200);
      expect(daily.body).toMatchObject({ cadence: 'daily', cadence_interval: null });
      const quarter = await t.http
        .patch(`${MONITORS}/${m.id}`)
        .set(a.headers)
        .send({ cadence: 'every_15m' })
        .expect(200);
      expect(quarter.body.cadence_interval).toBe('every_15m');
      expect(quarter.body.cadence).toMatch(/^cron:\d+,\d+,\d+,\d+ \* \* \* \*$/);
    });

    it('replaces filters but keeps signal_weights unless they are sent', async () => {
      const m = await createMonitor(t, a, {
        target_type: 'SESSION',
        metrics: ['agent_consistency'],
        filters: { user_id: 'u1' },
        signal_weights: { coherence: 2 },
      });
      const patch = (body: Record<string, unknown>) =>
        t.http.patch(`${MONITORS}/${m.id}`).set(a.headers).send(body).expect(200);
      expect((await patch({ filters: { has_error: true } })).body.filters).toEqual({
        has_error: true,
        signal_weights: { coherence: 2 },
      });
      expect((await patch({ signal_weights: { confidence: 0.3 } })).body.filters).toEqual({
        has_error: true,
        signal_weights: { confidence: 0.3 },
      });
      expect((await patch({ signal_weights: null })).body.filters).toEqual({ has_error: true });
    });

    it('sets budgets and scope, clears them with null; model null means the default', async () => {
      const m = await createMonitor(t, a, { model: 'openai/gpt-4o-mini', max_judge_calls: 5 });
      expect(m).toMatchObject({ model: 'openai/gpt-4o-mini', max_judge_calls: 5 });
      const res = await t.http
        .patch(`${MONITORS}/${m.id}`)
        .set(a.headers)
        .send({ model: null, max_judge_calls: null, max_judge_calls_per_day: 100, scope: 'all' })
        .expect(200);
      expect(res.body).toMatchObject({
        model: null,
        max_judge_calls: null,
        max_judge_calls_per_day: 100,
        scope: 'all',
      });
    });

    it.each<[string, Record<string, unknown>]>([
      ['an unknown filter key', { filters: { min_trace_count: 2 } }],
      ['a bad cadence', { cadence: 'every_0m' }],
      ['an unknown metric', { metrics: ['nope'] }],
      ['signal_weights on TRACE', { signal_weights: { confidence: 1 } }],
      ['target_type', { target_type: 'SESSION' }],
      ['sampling_rate 0', { sampling_rate: 0 }],
    ])('refuses %s: 422, nothing changed', async (_, body) => {
      const m = await createMonitor(t, a);
      await t.http.patch(`${MONITORS}/${m.id}`).set(a.headers).send(body).expect(422);
      const after = (await t.http.get(`${MONITORS}/${m.id}`).set(a.headers).expect(200)).body;
      expect(after).toEqual(m);
    });

    it('404 for an unknown monitor', async () => {
      await t.http.patch(`${MONITORS}/${randomUUID()}`).set(a.headers).send({ name: 'x' }).expect(404);
    });
  });

  describe('pause and resume', () => {
    it('pause: PAUSED with next_run_at null, twice; resume: ACTIVE with next_run_at, twice', async () => {
      const m = await createMonitor(t, a, { cadence: 'every_6h' });
      for (let i = 0; i < 2; i++) {
        const p = await t.http.post(`${MONITORS}/${m.id}/pause`).set(a.headers).expect(200);
        expect(p.body).toMatchObject({ status: 'PAUSED', next_run_at: null });
      }
      for (let i = 0; i < 2; i++) {
        const r = await t.http.post(`${MONITORS}/${m.id}/resume`).set(a.headers).expect(200);
        expect(r.body.status).toBe('ACTIVE');
        // The same slot grid as before the pause: created_at + k × 6 h.
        expect(r.body.next_run_at).toBe(m.next_run_at);
      }
    });

    it('404 for an unknown monitor', async () => {
      await t.http.post(`${MONITORS}/${randomUUID()}/pause`).set(a.headers).expect(404);
      await t.http.post(`${MONITORS}/${randomUUID()}/resume`).set(a.headers).expect(404);
    });
  });

  describe('trigger, runs and delete', () => {
    it('trigger: 202 with the PENDING run named [Monitor] ..., linked to the monitor; runs lists it', async () => {
      const m = await createMonitor(t, a, { name: 'trig', scope: 'all' });
      const res = await t.http.post(`${MONITORS}/${m.id}/trigger`).set(a.headers).expect(202);
      expect(res.body).toMatchObject({
        monitor_id: m.id,
        target_type: 'TRACE',
        name: '[Monitor] trig',
        metric_names: ['confidence'],
      });
      expect(['PENDING', 'RUNNING', 'COMPLETED']).toContain(res.body.status);
      await waitForRun(t, a, res.body.id);
      const runs = (await t.http.get(`${MONITORS}/${m.id}/runs`).set(a.headers).expect(200)).body;
      expect(runs.total).toBe(1);
      expect(runs.items[0]).toMatchObject({ id: res.body.id, monitor_id: m.id });
      const after = (await t.http.get(`${MONITORS}/${m.id}`).set(a.headers).expect(200)).body;
      expect(after).toMatchObject({ last_run_id: res.body.id, next_run_at: m.next_run_at });
      expect(after.run_totals).toMatchObject({ runs: 1, completed: 1, targets: 1 });
      expect(after.watermark).not.toBeNull();
    });

    it('trigger on a PAUSED monitor runs once and leaves it PAUSED with no next_run_at', async () => {
      const m = await createMonitor(t, a, { scope: 'all' });
      await t.http.post(`${MONITORS}/${m.id}/pause`).set(a.headers).expect(200);
      const run = (await t.http.post(`${MONITORS}/${m.id}/trigger`).set(a.headers).expect(202)).body;
      expect(run.monitor_id).toBe(m.id);
      const after = (await t.http.get(`${MONITORS}/${m.id}`).set(a.headers).expect(200)).body;
      expect(after).toMatchObject({ status: 'PAUSED', next_run_at: null, last_run_id: run.id });
      await waitForRun(t, a, run.id);
    });

    it("scope 'new': a second trigger with nothing new is a 422 naming the watermark, and no run", async () => {
      const m = await createMonitor(t, a);
      const run = (await t.http.post(`${MONITORS}/${m.id}/trigger`).set(a.headers).expect(202)).body;
      await waitForRun(t, a, run.id);
      const res = await t.http.post(`${MONITORS}/${m.id}/trigger`).set(a.headers).expect(422);
      expect(res.body.detail).toMatch(/^No matching trace was ingested since the watermark/);
      expect((await t.http.get(`${MONITORS}/${m.id}/runs`).set(a.headers).expect(200)).body.total).toBe(1);
    });

    it('no matching trace: 422', async () => {
      const m = await createMonitor(t, a, { filters: { tags: ['no-such-tag'] } });
      const res = await t.http.post(`${MONITORS}/${m.id}/trigger`).set(a.headers).expect(422);
      expect(res.body.detail).toBe("No traces match the monitor's filters.");
    });

    it('trigger of a SESSION monitor: 202 with a SESSION run over its sessions, listed under session runs', async () => {
      const c = await createTenant(t);
      await ingestSession(t, c, 'conv-1', 2);
      await ingestSession(t, c, 'conv-2', 1, () => ({ status: 'ERROR' }));
      const m = await createMonitor(t, c, {
        name: 'sess',
        target_type: 'SESSION',
        metrics: ['agent_reliability'],
        filters: { has_error: false },
      });
      const res = await t.http.post(`${MONITORS}/${m.id}/trigger`).set(c.headers).expect(202);
      expect(res.body).toMatchObject({
        monitor_id: m.id,
        target_type: 'SESSION',
        name: '[Monitor] sess',
        metric_names: ['agent_reliability'],
        total_targets: 1,
      });
      const run = await waitForRun(t, c, res.body.id, { base: SESSION_RUNS });
      expect(run.status).toBe('COMPLETED');
      expect(await runSessionIds(t.dataSource, res.body.id)).toEqual(['conv-1']);
      const scores = (await t.http.get(`${SESSION_RUNS}/${res.body.id}/scores`).set(c.headers).expect(200)).body;
      expect(scores.map((s: { session_id: string; name: string }) => [s.session_id, s.name])).toEqual([
        ['conv-1', 'agent_reliability'],
      ]);
      const runs = (await t.http.get(`${MONITORS}/${m.id}/runs`).set(c.headers).expect(200)).body;
      expect(runs.items.map((r: { id: string }) => r.id)).toEqual([res.body.id]);
      // Nothing new since: a second trigger is a 422 naming the watermark.
      const again = await t.http.post(`${MONITORS}/${m.id}/trigger`).set(c.headers).expect(422);
      expect(again.body.detail).toMatch(/^No matching session got a trace ingested since the watermark/);
    });

    it("a SESSION monitor's sampling_rate, model and budgets reach the session run it spawns", async () => {
      const c = await createTenant(t);
      for (const id of ['r1', 'r2', 'r3', 'r4']) await ingestSession(t, c, id, 1);
      const m = await createMonitor(t, c, {
        target_type: 'SESSION',
        metrics: ['agent_consistency'],
        sampling_rate: 0.5,
        model: 'openai/judge-test',
        max_judge_calls: 500,
        max_judge_tokens: 100_000,
      });
      const run = (await t.http.post(`${MONITORS}/${m.id}/trigger`).set(c.headers).expect(202)).body;
      expect(run).toMatchObject({
        target_type: 'SESSION',
        sampling_rate: 0.5,
        total_targets: 2,
        model: 'openai/judge-test',
        max_judge_calls: 500,
        max_judge_tokens: 100_000,
      });
      await waitForRun(t, c, run.id, { base: SESSION_RUNS });
    });

    it('trigger of a SESSION monitor with no matching session: 422', async () => {
      const m = await createMonitor(t, a, { target_type: 'SESSION', metrics: ['agent_reliability'] });
      const res = await t.http.post(`${MONITORS}/${m.id}/trigger`).set(a.headers).expect(422);
      expect(res.body.detail).toBe("No sessions match the monitor's filters.");
    });

    it('404 for trigger and runs of an unknown monitor', async () => {
      await t.http.post(`${MONITORS}/${randomUUID()}/trigger`).set(a.headers).expect(404);
      await t.http.get(`${MONITORS}/${randomUUID()}/runs`).set(a.headers).expect(404);
    });

    it('DELETE: 204, then 404; the spawned runs stay, with monitor_id null', async () => {
      const m = await createMonitor(t, a, { scope: 'all' });
      const run = (await t.http.post(`${MONITORS}/${m.id}/trigger`).set(a.headers).expect(202)).body;
      await waitForRun(t, a, run.id);
      await t.http.delete(`${MONITORS}/${m.id}`).set(a.headers).expect(204);
      await t.http.get(`${MONITORS}/${m.id}`).set(a.headers).expect(404);
      await t.http.delete(`${MONITORS}/${m.id}`).set(a.headers).expect(404);
      const kept = (await t.http.get(`/evaluations/trace-runs/${run.id}`).set(a.headers).expect(200)).body;
      expect(kept).toMatchObject({ id: run.id, monitor_id: null, status: 'COMPLETED' });
    });

    it('trigger is limited to 10 a minute per credential (429 with Retry-After)', async () => {
      const c = await createTenant(t);
      for (let i = 0; i < 10; i++) await t.http.post(`${MONITORS}/${randomUUID()}/trigger`).set(c.headers).expect(404);
      const res = await t.http.post(`${MONITORS}/${randomUUID()}/trigger`).set(c.headers).expect(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    });
  });
});
