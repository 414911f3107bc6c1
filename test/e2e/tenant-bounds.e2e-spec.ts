import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { EvalRunLedgerRepository } from '../../src/modules/eval-runs/worker/eval-run-ledger.repository';
import { buildSpan, buildTrace } from '../factories/trace.factory';
import { createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';
import { TEST_ENV } from '../support/test-env';

/**
 * Issue 22, findings 1 and 2: one tenant cannot take the database pool, and sizes hold on every
 * write path. Each attack is replayed against a second tenant measured against its own baseline.
 */
const noise = (bytes: number) => randomBytes(bytes / 2).toString('hex');
const p99 = (values: number[]) => [...values].sort((x, y) => x - y)[Math.ceil(values.length * 0.99) - 1];

/** A connection of its own (not the app's pool), e.g. to hold a lock the way a slow writer would. */
async function sideConnection(): Promise<Client> {
  const client = new Client({ connectionString: TEST_ENV.DATABASE_URL });
  await client.connect();
  return client;
}

describe('finding 1: every database statement bounded, no tenant holds the pool', () => {
  let t: TestApp;
  let attacker: Tenant;
  let victim: Tenant;
  beforeAll(async () => {
    t = await createTestApp({
      RATE_LIMIT_INGEST: '100000',
      RATE_LIMIT_INGEST_BURST: '100000',
      RATE_LIMIT_DEFAULT: '100000',
      DATABASE_POOL_SIZE: '20',
      DATABASE_LOCK_TIMEOUT_MS: '30000',
      RUN_WORKER_IN_PROCESS: 'true',
    });
    attacker = await createTenant(t);
    victim = await createTenant(t);
  });
  afterAll(() => t?.close());

  /** What the victim does all day: ingest a trace and list its traces. Returns each latency in ms. */
  async function victimLoad(rounds: number): Promise<number[]> {
    const latencies: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const started = performance.now();
      await Promise.all([
        t.http.post('/traces').set(victim.headers).send(buildTrace()).expect(202),
        t.http.get('/traces?limit=5').set(victim.headers).expect(200),
      ]);
      latencies.push(performance.now() - started);
    }
    return latencies;
  }

  it('the row-lock storm: 60 appends to one locked trace leave the victim within 3x its baseline', async () => {
    const trace = buildTrace({ spans: [buildSpan()] });
    await t.http.post('/traces').set(attacker.headers).send(trace).expect(202);
    await victimLoad(5); // warm-up: prepared statements, connections
    const baseline = await victimLoad(30);

    // A slow writer holds the trace's row lock; 60 appends to that trace arrive at once.
    const holder = await sideConnection();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM traces WHERE trace_id = $1 FOR UPDATE', [trace.trace_id]);
      let answered = 0;
      const storm = Array.from({ length: 60 }, () =>
        // .then() sends the request now (supertest is lazy).
        t.http
          .post(`/traces/${trace.trace_id}/spans`)
          .set(attacker.headers)
          .send([buildSpan()])
          .then((r) => {
            answered++;
            return r;
          }),
      );
      // The storm is in and at its steady state: what it was refused is answered, and the rest hold
      // what they hold (before the fix: every pooled connection, waiting on the lock).
      const deadline = Date.now() + 20_000;
      while (answered < 60 - 1 - 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const underAttack = await victimLoad(30);
      // At most one of the attacker's requests waits on the lock with a pooled connection.
      const waiting = await holder.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`,
      );
      expect(waiting.rows[0].n).toBeLessThanOrEqual(1);
      await holder.query('COMMIT');
      const answers = await Promise.all(storm);
      const statuses = answers.map((r) => r.status);
      console.log(
        `victim p99 baseline ${p99(baseline).toFixed(1)} ms, under the storm ${p99(underAttack).toFixed(1)} ms`,
      );
      // Within 3× the baseline; a baseline of a few ms leaves scheduling noise bigger than 3×, so the bound
      // is never under baseline + 150 ms. The failure this guards against took the victim to 9–19 s.
      expect(p99(underAttack)).toBeLessThanOrEqual(Math.max(3 * p99(baseline), p99(baseline) + 150));
      // The storm failed fast for its own tenant: 429 with Retry-After, never a 5xx; the admitted ones wrote.
      expect(statuses.every((s) => s === 201 || s === 429)).toBe(true);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(60 - 1 - 8);
      const refused = answers.find((r) => r.status === 429)!;
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.body.detail).toMatch(/TRACE_WRITERS_WAITING/);
    } finally {
      await holder.end();
    }
  });

  it('a lock not granted within DATABASE_LOCK_TIMEOUT_MS is a 409 with Retry-After, not a wait', async () => {
    const app = await createTestApp({ DATABASE_LOCK_TIMEOUT_MS: '300', RATE_LIMIT_INGEST: '100000' });
    const holder = await sideConnection();
    try {
      const tenant = await createTenant(app);
      const trace = buildTrace();
      await app.http.post('/traces').set(tenant.headers).send(trace).expect(202);
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM traces WHERE trace_id = $1 FOR UPDATE', [trace.trace_id]);
      const res = await app.http.post(`/traces/${trace.trace_id}/spans`).set(tenant.headers).send([buildSpan()]);
      expect(res.status).toBe(409);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.body.detail).toMatch(/DATABASE_LOCK_TIMEOUT_MS/);
    } finally {
      await holder.end();
      await app.close();
    }
  });

  it('every pooled connection carries the statement, lock and idle-in-transaction timeouts', async () => {
    const app = await createTestApp({
      DATABASE_STATEMENT_TIMEOUT_MS: '250',
      DATABASE_LOCK_TIMEOUT_MS: '1500',
      DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '4000',
    });
    try {
      const [row] = await app.dataSource.query(
        `SELECT current_setting('statement_timeout') AS s, current_setting('lock_timeout') AS l,
                current_setting('idle_in_transaction_session_timeout') AS i`,
      );
      expect(row).toEqual({ s: '250ms', l: '1500ms', i: '4s' });
      await expect(app.dataSource.query('SELECT pg_sleep(2)')).rejects.toThrow(/statement timeout/);
    } finally {
      await app.close();
    }
  });

  it('a request that finds no free connection in time gets 503 with Retry-After; lease heartbeats still run', async () => {
    const app = await createTestApp({
      DATABASE_POOL_SIZE: '2',
      DATABASE_ACQUIRE_TIMEOUT_MS: '300',
      RUN_WORKER_IN_PROCESS: 'true',
    });
    const runners = [app.dataSource.createQueryRunner(), app.dataSource.createQueryRunner()];
    try {
      const tenant = await createTenant(app);
      for (const runner of runners) await runner.connect(); // every pooled connection is taken
      const res = await app.http.get('/traces').set(tenant.headers);
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.body.detail).toMatch(/DATABASE_ACQUIRE_TIMEOUT_MS/);
      // The worker's heartbeat has a connection of its own: it answers while the pool is exhausted.
      const ledger = app.app.get(EvalRunLedgerRepository);
      await expect(
        ledger.heartbeat(randomUUID(), 60_000, [{ runId: victim.projectId, traceId: victim.projectId }]),
      ).resolves.toBe(0);
    } finally {
      for (const runner of runners) await runner.release();
      await app.close();
    }
  });
});

describe('finding 2: sizes enforced on every write path', () => {
  let t: TestApp;
  let a: Tenant;
  const MiB = 1024 * 1024;
  beforeAll(async () => {
    t = await createTestApp({
      RATE_LIMIT_INGEST: '100000',
      BODY_LIMIT_BYTES: String(512 * 1024),
      MAX_TRACE_BYTES: String(MiB),
    });
    a = await createTenant(t);
  });
  afterAll(() => t?.close());

  const traceBytes = async (traceId: string) =>
    Number(
      (
        await t.dataSource.query(
          `SELECT octet_length(metadata::text) + coalesce((SELECT sum(octet_length(s.metadata::text)) FROM spans s
             WHERE s.trace_id = t.trace_id), 0) AS n FROM traces t WHERE trace_id = $1`,
          [traceId],
        )
      )[0].n,
    );

  it('PATCH /traces/{id}: the third 400 KiB metadata merge past MAX_TRACE_BYTES is refused and not committed', async () => {
    const trace = buildTrace();
    await t.http.post('/traces').set(a.headers).send(trace).expect(202);
    for (const key of ['a', 'b']) {
      await t.http
        .patch(`/traces/${trace.trace_id}`)
        .set(a.headers)
        .send({ metadata: { [key]: noise(400 * 1024) } })
        .expect(200);
    }
    const before = await traceBytes(trace.trace_id);
    const refused = await t.http
      .patch(`/traces/${trace.trace_id}`)
      .set(a.headers)
      .send({ metadata: { c: noise(400 * 1024) } })
      .expect(413);
    expect(refused.body.detail).toMatch(/MAX_TRACE_BYTES\)\. Nothing was changed\./);
    expect(await traceBytes(trace.trace_id)).toBe(before);
    expect(before).toBeLessThanOrEqual(MiB);
  });

  it('PATCH of a span is held to the same bound', async () => {
    const span = buildSpan();
    const trace = buildTrace({ spans: [span], metadata: { a: noise(400 * 1024) } });
    await t.http.post('/traces').set(a.headers).send(trace).expect(202);
    await t.http
      .patch(`/traces/${trace.trace_id}/spans/${span.span_id}`)
      .set(a.headers)
      .send({ metadata: { b: noise(400 * 1024) } })
      .expect(200);
    const before = await traceBytes(trace.trace_id);
    await t.http
      .patch(`/traces/${trace.trace_id}/spans/${span.span_id}`)
      .set(a.headers)
      .send({ metadata: { c: noise(400 * 1024) } })
      .expect(413);
    expect(await traceBytes(trace.trace_id)).toBe(before);
  });

  it('tags: re-posts and batch/tags cannot take a trace past 100 tags (600 refused, nothing changed)', async () => {
    const tags = (prefix: string, n = 100) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
    const trace = buildTrace({ tags: tags('first') });
    await t.http.post('/traces').set(a.headers).send(trace).expect(202);
    const merged = await t.http
      .post('/traces')
      .set(a.headers)
      .send({ ...trace, tags: tags('second') })
      .expect(422);
    expect(merged.body).toEqual({
      detail: 'Validation error',
      errors: [
        {
          field: 'tags',
          message: `Trace ${trace.trace_id} would hold 200 tags; at most 100 are allowed per trace. Nothing was changed.`,
        },
      ],
    });
    const other = buildTrace({ tags: ['x'] });
    await t.http.post('/traces').set(a.headers).send(other).expect(202);
    for (let round = 0; round < 5; round++) {
      const res = await t.http
        .post('/traces/batch/tags')
        .set(a.headers)
        .send({ trace_ids: [trace.trace_id, other.trace_id], add_tags: tags(`batch${round}`) })
        .expect(422);
      expect(res.body.errors[0]).toEqual({
        field: 'tags',
        message: '2 of these traces would hold more tags; at most 100 are allowed per trace. Nothing was changed.',
      });
    }
    const stored = await t.dataSource.query(
      `SELECT trace_id, cardinality(tags) AS n FROM traces WHERE trace_id = ANY($1::uuid[]) ORDER BY n`,
      [[trace.trace_id, other.trace_id]],
    );
    expect(stored.map((r: { n: number }) => r.n)).toEqual([1, 100]);
    // Within the bound, batch tags still work.
    await t.http
      .post('/traces/batch/tags')
      .set(a.headers)
      .send({ trace_ids: [other.trace_id], add_tags: tags('ok', 99) })
      .expect(200)
      .expect({ updated: 1 });
  });

  it('GET /sessions lists at most 100 tags and users per session, however many its traces carry', async () => {
    const session = `sess-${noise(8)}`;
    for (let i = 0; i < 3; i++) {
      await t.http
        .post('/traces')
        .set(a.headers)
        .send(
          buildTrace({
            session_id: session,
            user_id: `u${i}`,
            tags: Array.from({ length: 100 }, (_, j) => `${i}-${j}`),
          }),
        )
        .expect(202);
    }
    const res = await t.http.get(`/sessions?query=${session}`).set(a.headers).expect(200);
    expect(res.body.items).toHaveLength(1);
    expect(res.body.items[0].tags).toHaveLength(100);
  });
});
