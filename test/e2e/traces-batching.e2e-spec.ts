import { buildSpan, buildTrace } from '../factories/trace.factory';
import { createTestApp, TestApp } from '../support/test-app';
import { createTenant, Tenant } from '../support/tenancy';

// New traces are written several per statement when requests arrive together: what each caller
// is told, and what is stored, must be exactly what one-by-one writes would give.
describe('ingestion under concurrency (batched writes)', () => {
  let t: TestApp;
  let a: Tenant;
  beforeAll(async () => {
    t = await createTestApp({ RATE_LIMIT_INGEST: '100000' });
    a = await createTenant(t);
  });
  afterAll(() => t.close());

  it('stores every good trace, refuses only the bad one, and merges same-id posts', async () => {
    const good = Array.from({ length: 24 }, (_, i) =>
      buildTrace({ name: `batch-${i}`, spans: [buildSpan({ name: 's1' }), buildSpan({ name: 's2' })] }),
    );
    const bad = buildTrace({ name: 'bad', input: { text: 'nul \u0000 inside' } });
    const twinA = buildTrace({ name: 'twin', tags: ['a'], spans: [buildSpan({ name: 'first' })] });
    const twinB = { ...twinA, tags: ['b'], spans: [buildSpan({ name: 'second' })] };

    const posts = [...good, bad, twinA, twinB].map((body) => t.http.post('/traces').set(a.headers).send(body));
    const answers = await Promise.all(posts);
    expect(answers.slice(0, good.length).map((r) => r.status)).toEqual(good.map(() => 202));
    expect(answers[good.length].status).toBe(422);
    expect(answers.slice(good.length + 1).map((r) => r.status)).toEqual([202, 202]);

    for (const trace of good) {
      const res = await t.http.get(`/traces/${trace.trace_id}`).set(a.headers).expect(200);
      expect(res.body.name).toBe(trace.name);
      expect(res.body.spans).toHaveLength(2);
    }
    await t.http.get(`/traces/${bad.trace_id}`).set(a.headers).expect(404);
    const twin = await t.http.get(`/traces/${twinA.trace_id}`).set(a.headers).expect(200);
    expect([...twin.body.tags].sort()).toEqual(['a', 'b']);
    expect(twin.body.spans.map((s: { name: string }) => s.name).sort()).toEqual(['first', 'second']);
    const list = await t.http.get('/traces?limit=200').set(a.headers).expect(200);
    expect(list.body.total).toBe(good.length + 1);
  });
});
