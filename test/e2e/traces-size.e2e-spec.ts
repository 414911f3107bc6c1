import { TracesService } from '../../src/modules/traces/traces.service';
import { buildSpan, buildTrace, type TracePayload } from '../factories/trace.factory';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';

const KiB = 1024;
const LIMIT = 512 * KiB;

/** `n` characters that JSON keeps as they are. */
const text = (n: number) => 'x'.repeat(n);

/**
 * Issue 22: the trace size is a running column (traces.size_bytes), kept by every write path, so the
 * MAX_TRACE_BYTES check and response bounds read one column. Each path is checked against the size
 * measured from the content (the definition the column replaced), the change marker (version) is
 * checked to move with every real change, and the limit to hold on every path that can grow a trace.
 */
describe('trace size column and change marker on every write path', () => {
  let t: TestApp;
  let a: Tenant;

  beforeAll(async () => {
    t = await createTestApp({
      RATE_LIMIT_INGEST: '100000',
      BODY_LIMIT_BYTES: String(256 * KiB),
      MAX_TRACE_BYTES: String(LIMIT),
    });
    a = await createTenant(t);
  });
  afterAll(() => t?.close());

  /** The stored size and version next to the size measured from every free-form column. */
  const state = async (traceId: string) => {
    const [row] = await t.dataSource.query(
      `SELECT t.size_bytes::float8 AS stored, t.version,
              (coalesce(octet_length(t.input::text), 0) + coalesce(octet_length(t.output::text), 0)
               + octet_length(t.metadata::text)
               + coalesce((SELECT sum(coalesce(octet_length(s.input::text), 0) + coalesce(octet_length(s.output::text), 0)
                                      + octet_length(s.metadata::text) + coalesce(octet_length(s.error), 0))
                           FROM spans s WHERE s.trace_id = t.trace_id), 0))::float8 AS measured
       FROM traces t WHERE t.trace_id = $1`,
      [traceId],
    );
    return row as { stored: number; measured: number; version: number };
  };
  /** Applies `write`, then checks that the column is exact and whether the version moved. */
  const after = async (traceId: string, write: () => Promise<unknown>, changes = true) => {
    const before = await state(traceId);
    await write();
    const now = await state(traceId);
    expect(now.stored).toBe(now.measured);
    expect(now.version).toBe(changes ? before.version + 1 : before.version);
    return now;
  };
  const post = (body: TracePayload, status = 202) => t.http.post('/traces').set(a.headers).send(body).expect(status);

  it('POST, re-post, provisional merge, span append, span PATCH, trace PATCH and batch tags keep size_bytes exact', async () => {
    const span = buildSpan({ error: 'boom' });
    const trace = buildTrace({ spans: [span, buildSpan()], metadata: { k: 'v' } });
    await post(trace);
    const created = await state(trace.trace_id);
    expect(created).toMatchObject({ version: 1, stored: created.measured });
    expect(created.stored).toBeGreaterThan(0);

    // A re-post: the trace row, then its spans (each statement is a change: the version moves twice).
    const before = await state(trace.trace_id);
    await post({ ...trace, input: { longer: text(300) }, spans: [buildSpan({ output: text(500) })] });
    const reposted = await state(trace.trace_id);
    expect(reposted.stored).toBe(reposted.measured);
    expect(reposted.version).toBe(before.version + 2);

    // OTLP's provisional merge (spans without their root): the same statements.
    const service = t.app.get(TracesService);
    const provisional = await state(trace.trace_id);
    await service.ingest(
      a.projectId,
      { ...trace, name: 'ignored', spans: [buildSpan({ metadata: { otel: text(100) } })] } as never,
      undefined,
      { provisional: true },
    );
    expect(await state(trace.trace_id)).toMatchObject({ version: provisional.version + 2 });
    expect((await state(trace.trace_id)).stored).toBe((await state(trace.trace_id)).measured);

    await after(trace.trace_id, () =>
      t.http
        .post(`/traces/${trace.trace_id}/spans`)
        .set(a.headers)
        .send([buildSpan({ input: text(1000) }), { ...span, output: null, metadata: { more: true } }])
        .expect(201),
    );
    await after(trace.trace_id, () =>
      t.http
        .patch(`/traces/${trace.trace_id}/spans/${span.span_id}`)
        .set(a.headers)
        .send({ output: { shorter: 1 }, error: null })
        .expect(200),
    );
    await after(trace.trace_id, () =>
      t.http
        .patch(`/traces/${trace.trace_id}`)
        .set(a.headers)
        .send({ input: null, metadata: { m: text(50) } })
        .expect(200),
    );
    // PATCH bodies that set nothing are no-ops: the version stays.
    await after(
      trace.trace_id,
      () => t.http.patch(`/traces/${trace.trace_id}`).set(a.headers).send({}).expect(200),
      false,
    );
    await after(
      trace.trace_id,
      () => t.http.patch(`/traces/${trace.trace_id}/spans/${span.span_id}`).set(a.headers).send({}).expect(200),
      false,
    );
    // Tags are not bytes of JSON, but they are a change (only when they change).
    const tag = (add: string[]) =>
      t.http
        .post('/traces/batch/tags')
        .set(a.headers)
        .send({ trace_ids: [trace.trace_id], add_tags: add })
        .expect(200);
    await after(trace.trace_id, () => tag(['new-tag']));
    await after(trace.trace_id, () => tag(['new-tag']), false);
  });

  it('the limit holds on every path that grows a trace, read from the column, and a refused write changes nothing', async () => {
    const span = buildSpan();
    const trace = buildTrace({ spans: [span], metadata: { a: text(200 * KiB) } });
    await post(trace);
    // 400 KiB, built in bodies under BODY_LIMIT_BYTES (256 KiB); each write below adds 150 KiB.
    await t.http
      .post(`/traces/${trace.trace_id}/spans`)
      .set(a.headers)
      .send([buildSpan({ input: text(200 * KiB) })])
      .expect(201);
    const more = text(150 * KiB);
    const tooBig = /bytes of JSON; at most 524288 are allowed \(MAX_TRACE_BYTES\)\. Nothing was changed\./;
    const refused = [
      () => post({ ...trace, metadata: { b: more } }, 413),
      () => post({ ...trace, metadata: {}, spans: [buildSpan({ output: more })] }, 413),
      () =>
        t.http
          .post(`/traces/${trace.trace_id}/spans`)
          .set(a.headers)
          .send([buildSpan({ output: more })])
          .expect(413),
      () =>
        t.http
          .patch(`/traces/${trace.trace_id}/spans/${span.span_id}`)
          .set(a.headers)
          .send({ input: more })
          .expect(413),
      () => t.http.patch(`/traces/${trace.trace_id}`).set(a.headers).send({ output: more }).expect(413),
    ];
    for (const write of refused) {
      let detail = '';
      const res = await after(
        trace.trace_id,
        async () => (detail = ((await write()) as { body: { detail: string } }).body.detail),
        false,
      );
      expect(detail).toMatch(tooBig);
      expect(res.stored).toBeLessThanOrEqual(LIMIT);
    }
    // Within the limit, the same paths still write.
    await after(trace.trace_id, () =>
      t.http
        .patch(`/traces/${trace.trace_id}`)
        .set(a.headers)
        .send({ output: text(100 * KiB) })
        .expect(200),
    );
    expect((await state(trace.trace_id)).stored).toBeGreaterThan(500 * KiB);
  });
});
