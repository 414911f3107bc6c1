import { randomUUID } from 'node:crypto';
import { at, buildSpan, ingestTrace } from '../factories/trace.factory';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

describe('changing traces and spans', () => {
  let t: TestApp;
  let a: Tenant;
  let b: Tenant;

  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_INGEST: '100000', RATE_LIMIT_DEFAULT: '100000' });
    a = await createTenant(t);
    b = await createTenant(t);
  });
  afterAll(() => t.close());

  const get = (tenant: Tenant, id: string) => t.http.get(`/traces/${id}`).set(tenant.headers);
  const listItem = async (tenant: Tenant, id: string) => {
    const res = await t.http.get('/traces').query({ limit: 200 }).set(tenant.headers).expect(200);
    return res.body.items.find((i: { trace_id: string }) => i.trace_id === id);
  };

  const fullTrace = () =>
    ingestTrace(t, a, {
      name: 'original',
      status: 'RUNNING',
      input: { q: 1 },
      output: { a: 1 },
      metadata: { keep: 1, over: 'old' },
      ended_at: at(2000),
      session_id: 'sess',
      user_id: 'user',
      tags: ['one', 'two'],
      environment: 'prod',
      release: 'r1',
    });

  describe('PATCH /traces/{id}', () => {
    it('changes only the keys sent, clears nullable fields with null, ignores null for required ones', async () => {
      const trace = await fullTrace();
      const res = await t.http
        .patch(`/traces/${trace.trace_id}`)
        .set(a.headers)
        .send({
          status: 'COMPLETED',
          name: null,
          tags: null,
          output: null,
          session_id: null,
          ended_at: at(4000),
          metadata: { over: 'new', add: 2 },
        })
        .expect(200);
      expect(res.body).toMatchObject({
        trace_id: trace.trace_id,
        name: 'original',
        status: 'COMPLETED',
        input: { q: 1 },
        output: null,
        metadata: { keep: 1, over: 'new', add: 2 },
        ended_at: '2026-01-15T12:00:04.000000+00:00',
        latency_ms: 4000,
        session_id: null,
        user_id: 'user',
        tags: ['one', 'two'],
        environment: 'prod',
        release: 'r1',
      });
      expect(res.body.spans).toHaveLength(1);
      expect(await listItem(a, trace.trace_id)).toMatchObject({
        latency_ms: 4000,
        status: 'COMPLETED',
        session_id: null,
      });
    });

    it('replaces tags (deduplicated) and accepts an empty body', async () => {
      const trace = await fullTrace();
      const res = await t.http
        .patch(`/traces/${trace.trace_id}`)
        .set(a.headers)
        .send({ tags: ['b', 'a', 'b'], name: 'renamed' })
        .expect(200);
      expect(res.body).toMatchObject({ tags: ['b', 'a'], name: 'renamed' });
      const same = await t.http.patch(`/traces/${trace.trace_id}`).set(a.headers).send({}).expect(200);
      expect(same.body).toMatchObject({ tags: ['b', 'a'], name: 'renamed', input: { q: 1 } });
    });

    it('a PATCH that sets nothing changes nothing: updated_at stays (empty JSON body, {}, null on a required key)', async () => {
      const trace = await fullTrace();
      const stamp = async () =>
        (await t.dataSource.query(`SELECT updated_at::text AS u FROM traces WHERE trace_id = $1`, [trace.trace_id]))[0]
          .u as string;
      const before = await stamp();
      const empty = await t.http
        .patch(`/traces/${trace.trace_id}`)
        .set(a.headers)
        .set('Content-Type', 'application/json')
        .expect(200);
      expect(empty.body).toMatchObject({ name: 'original', tags: ['one', 'two'] });
      await t.http.patch(`/traces/${trace.trace_id}`).set(a.headers).send({}).expect(200);
      await t.http.patch(`/traces/${trace.trace_id}`).set(a.headers).send({ name: null }).expect(200);
      const spanId = trace.spans![0].span_id;
      await t.http.patch(`/traces/${trace.trace_id}/spans/${spanId}`).set(a.headers).send({}).expect(200);
      expect(await stamp()).toBe(before);
      // Still scoped and checked: nothing to set does not turn a missing trace or span into a 200.
      await t.http.patch(`/traces/${trace.trace_id}`).set(b.headers).send({}).expect(404);
      await t.http.patch(`/traces/${trace.trace_id}/spans/${randomUUID()}`).set(a.headers).send({}).expect(404);
      await t.http.patch(`/traces/${trace.trace_id}/spans/${spanId}`).set(b.headers).send({}).expect(404);
    });

    it('validates the body and the id, and answers 404 for unknown or foreign traces', async () => {
      const trace = await fullTrace();
      for (const body of [
        { status: 'DONE' },
        { name: '' },
        { started_at: at(0) },
        { user_id: 'x'.repeat(256) },
        { ended_at: 'never' },
      ]) {
        const res = await t.http.patch(`/traces/${trace.trace_id}`).set(a.headers).send(body).expect(422);
        expect(res.body.detail).toBe('Validation error');
      }
      const unknown = randomUUID();
      const res = await t.http.patch(`/traces/${unknown}`).set(a.headers).send({ name: 'x' }).expect(404);
      expect(res.body).toEqual({ detail: `Trace ${unknown} not found.` });
      await t.http.patch(`/traces/${trace.trace_id}`).set(b.headers).send({ name: 'hijacked' }).expect(404);
      await t.http.patch('/traces/123').set(a.headers).send({ name: 'x' }).expect(422);
      expect((await get(a, trace.trace_id).expect(200)).body.name).toBe('original');
    });
  });

  describe('spans', () => {
    it('POST /traces/{id}/spans upserts spans (201 {span_ids}) and keeps aggregates exact', async () => {
      const trace = await ingestTrace(t, a, {
        spans: [buildSpan({ token_usage: { prompt_tokens: 10, completion_tokens: 5 }, cost: { total: 1 } })],
      });
      const existing = trace.spans![0];
      const fresh = buildSpan({
        token_usage: { prompt_tokens: 100, completion_tokens: 1 },
        cost: { total: 2 },
        parent_span_id: existing.span_id,
      });
      const noId = { name: 'no-id', started_at: at(5), kind: 'TOOL' };
      const res = await t.http
        .post(`/traces/${trace.trace_id}/spans`)
        .set(a.headers)
        .send([
          fresh,
          {
            span_id: existing.span_id,
            name: 'renamed',
            started_at: existing.started_at,
            token_usage: { prompt_tokens: 1, completion_tokens: 1 },
          },
          noId,
        ])
        .expect(201);
      expect(res.body.span_ids).toHaveLength(3);
      expect(res.body.span_ids.slice(0, 2)).toEqual([fresh.span_id, existing.span_id]);

      const got = (await get(a, trace.trace_id).expect(200)).body;
      expect(got.span_count).toBe(3);
      expect(got.total_tokens).toBe(101 + 2);
      expect(got.total_cost).toBeCloseTo(3, 10);
      const renamed = got.spans.find((s: { span_id: string }) => s.span_id === existing.span_id);
      expect(renamed).toMatchObject({ name: 'renamed', cost: { total: 1 }, output: existing.output });
      expect(await listItem(a, trace.trace_id)).toMatchObject({ span_count: 3, total_tokens: 103 });
    });

    it('POST /traces/{id}/spans validates the array and answers 404 for unknown traces', async () => {
      const trace = await ingestTrace(t, a);
      const send = (body: unknown) =>
        t.http
          .post(`/traces/${trace.trace_id}/spans`)
          .set(a.headers)
          .send(body as object);
      expect((await send([]).expect(422)).body.errors[0].field).toBe('body');
      expect((await send({ name: 'x' }).expect(422)).body.errors[0].field).toBe('body');
      await send(Array.from({ length: 501 }, () => buildSpan())).expect(422);
      const bad = await send([buildSpan(), buildSpan({ kind: 'NOPE' })]).expect(422);
      expect(bad.body.errors.map((e: { field: string }) => e.field)).toContain('1 -> kind');
      await t.http.post(`/traces/${randomUUID()}/spans`).set(a.headers).send([buildSpan()]).expect(404);
      expect((await get(a, trace.trace_id).expect(200)).body.span_count).toBe(1);
    });

    it('PATCH /traces/{id}/spans/{span_id} applies the keys sent and refreshes the aggregates', async () => {
      const keep = buildSpan({ token_usage: { prompt_tokens: 3, completion_tokens: 4 }, cost: { total: 0.5 } });
      const change = buildSpan({
        token_usage: { prompt_tokens: 10, completion_tokens: 10 },
        cost: { total: 1 },
        metadata: { a: 1 },
      });
      const trace = await ingestTrace(t, a, { spans: [keep, change] });
      expect((await get(a, trace.trace_id)).body.total_tokens).toBe(27);

      const res = await t.http
        .patch(`/traces/${trace.trace_id}/spans/${change.span_id}`)
        .set(a.headers)
        .send({
          token_usage: { prompt_tokens: 50, completion_tokens: 50 },
          cost: { total: 4 },
          name: null,
          kind: 'TOOL',
          error: 'bad',
          metadata: { b: 2 },
          completion_start_time: at(300),
        })
        .expect(200);
      expect(res.body).toMatchObject({
        span_id: change.span_id,
        trace_id: trace.trace_id,
        name: change.name,
        kind: 'TOOL',
        error: 'bad',
        metadata: { a: 1, b: 2 },
        token_usage: { prompt_tokens: 50, completion_tokens: 50 },
        started_at: '2026-01-15T12:00:00.100000+00:00',
        time_to_first_token_ms: 200,
        latency_ms: 500,
      });
      let got = (await get(a, trace.trace_id)).body;
      expect(got.total_tokens).toBe(107);
      expect(got.total_cost).toBeCloseTo(4.5, 10);

      await t.http
        .patch(`/traces/${trace.trace_id}/spans/${change.span_id}`)
        .set(a.headers)
        .send({ token_usage: null, cost: null })
        .expect(200);
      got = (await get(a, trace.trace_id)).body;
      expect(got.total_tokens).toBe(7);
      expect(got.total_cost).toBeCloseTo(0.5, 10);
      expect(await listItem(a, trace.trace_id)).toMatchObject({ total_tokens: 7, span_count: 2 });
    });

    it('PATCH of a span: 404s, 422s, and started_at is not patchable', async () => {
      const trace = await ingestTrace(t, a);
      const spanId = trace.spans![0].span_id;
      const unknownSpan = randomUUID();
      const res = await t.http
        .patch(`/traces/${trace.trace_id}/spans/${unknownSpan}`)
        .set(a.headers)
        .send({ name: 'x' })
        .expect(404);
      expect(res.body).toEqual({ detail: `Span ${unknownSpan} not found on trace ${trace.trace_id}.` });
      const unknownTrace = randomUUID();
      await t.http.patch(`/traces/${unknownTrace}/spans/${spanId}`).set(a.headers).send({ name: 'x' }).expect(404);
      await t.http.patch(`/traces/${trace.trace_id}/spans/${spanId}`).set(b.headers).send({ name: 'x' }).expect(404);
      await t.http
        .patch(`/traces/${trace.trace_id}/spans/${spanId}`)
        .set(a.headers)
        .send({ started_at: at(0) })
        .expect(422);
      await t.http
        .patch(`/traces/${trace.trace_id}/spans/${spanId}`)
        .set(a.headers)
        .send({ cost: { total: 'x' } })
        .expect(422);
      await t.http.patch(`/traces/${trace.trace_id}/spans/nope`).set(a.headers).send({ name: 'x' }).expect(422);
      expect((await get(a, trace.trace_id)).body.spans[0].name).toBe(trace.spans![0].name);
    });
  });

  describe('deleting', () => {
    it('DELETE /traces/{id}: 204, then 404; spans go with it; foreign ids are 404', async () => {
      const trace = await ingestTrace(t, a);
      await t.http.delete(`/traces/${trace.trace_id}`).set(b.headers).expect(404);
      await get(a, trace.trace_id).expect(200);
      await t.http.delete(`/traces/${trace.trace_id}`).set(a.headers).expect(204);
      await get(a, trace.trace_id).expect(404);
      await t.http.delete(`/traces/${trace.trace_id}`).set(a.headers).expect(404);
      const [{ count }] = await t.dataSource.query('SELECT count(*)::int AS count FROM spans WHERE trace_id = $1', [
        trace.trace_id,
      ]);
      expect(count).toBe(0);
    });

    it('POST /traces/batch/delete deletes the project traces among the ids and counts them', async () => {
      const mine = [await ingestTrace(t, a), await ingestTrace(t, a)];
      const theirs = await ingestTrace(t, b);
      const res = await t.http
        .post('/traces/batch/delete')
        .set(a.headers)
        .send({ trace_ids: [...mine.map((m) => m.trace_id), theirs.trace_id, randomUUID(), mine[0].trace_id] })
        .expect(200);
      expect(res.body).toEqual({ deleted: 2 });
      for (const m of mine) await get(a, m.trace_id).expect(404);
      await get(b, theirs.trace_id).expect(200);
      await t.http.post('/traces/batch/delete').set(a.headers).send({ trace_ids: [] }).expect(422);
      await t.http
        .post('/traces/batch/delete')
        .set(a.headers)
        .send({ trace_ids: ['x'] })
        .expect(422);
      await t.http
        .post('/traces/batch/delete')
        .set(a.headers)
        .send({ trace_ids: Array.from({ length: 501 }, () => randomUUID()) })
        .expect(422);
    });
  });

  describe('POST /traces/batch/tags', () => {
    it('removes first, then adds without duplicates, only on the project traces', async () => {
      const t1 = await ingestTrace(t, a, { tags: ['keep', 'drop', 'both'] });
      const t2 = await ingestTrace(t, a, { tags: [] });
      const theirs = await ingestTrace(t, b, { tags: ['drop'] });
      const res = await t.http
        .post('/traces/batch/tags')
        .set(a.headers)
        .send({
          trace_ids: [t1.trace_id, t2.trace_id, theirs.trace_id],
          add_tags: ['new', 'both', 'new'],
          remove_tags: ['drop', 'both'],
        })
        .expect(200);
      expect(res.body).toEqual({ updated: 2 });
      expect((await get(a, t1.trace_id)).body.tags).toEqual(['keep', 'new', 'both']);
      expect((await get(a, t2.trace_id)).body.tags).toEqual(['new', 'both']);
      expect((await get(b, theirs.trace_id)).body.tags).toEqual(['drop']);
    });

    it('does nothing when both lists are empty, and validates the body', async () => {
      const trace = await ingestTrace(t, a, { tags: ['x'] });
      const res = await t.http
        .post('/traces/batch/tags')
        .set(a.headers)
        .send({ trace_ids: [trace.trace_id] })
        .expect(200);
      expect(res.body).toEqual({ updated: 0 });
      expect((await get(a, trace.trace_id)).body.tags).toEqual(['x']);
      await t.http
        .post('/traces/batch/tags')
        .set(a.headers)
        .send({ trace_ids: [trace.trace_id], add_tags: [1] })
        .expect(422);
      await t.http
        .post('/traces/batch/tags')
        .set(a.headers)
        .send({ add_tags: ['x'] })
        .expect(422);
    });
  });

  it('no route lets project B read or change a trace of project A', async () => {
    const trace = await ingestTrace(t, a, { name: 'private', tags: ['secret'] });
    const spanId = trace.spans![0].span_id;
    const before = (await get(a, trace.trace_id).expect(200)).body;
    const id = trace.trace_id;
    const attempts = [
      t.http.get(`/traces/${id}`).set(b.headers).expect(404),
      t.http.patch(`/traces/${id}`).set(b.headers).send({ name: 'x' }).expect(404),
      t.http.delete(`/traces/${id}`).set(b.headers).expect(404),
      t.http.post(`/traces/${id}/spans`).set(b.headers).send([buildSpan()]).expect(404),
      t.http.patch(`/traces/${id}/spans/${spanId}`).set(b.headers).send({ name: 'x' }).expect(404),
      t.http
        .post('/traces')
        .set(b.headers)
        .send({ ...trace, name: 'x' })
        .expect(409),
    ];
    await Promise.all(attempts);
    expect(
      (
        await t.http
          .post('/traces/batch/delete')
          .set(b.headers)
          .send({ trace_ids: [id] })
          .expect(200)
      ).body,
    ).toEqual({ deleted: 0 });
    expect(
      (
        await t.http
          .post('/traces/batch/tags')
          .set(b.headers)
          .send({ trace_ids: [id], add_tags: ['x'] })
          .expect(200)
      ).body,
    ).toEqual({ updated: 0 });
    const list = await t.http.get('/traces').query({ tags: 'secret' }).set(b.headers).expect(200);
    expect(list.body.total).toBe(0);
    expect((await get(a, trace.trace_id).expect(200)).body).toEqual(before);
  });
});
