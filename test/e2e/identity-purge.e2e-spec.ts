import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { RollupRefresher } from '../../src/modules/analytics/rollup-refresher';
import { MembershipRole } from '../../src/modules/auth/entities/membership.entity';
import { ScoreRollupRefresher } from '../../src/modules/scores/score-rollup-refresher';
import { waitForRun } from '../factories/eval-run.factory';
import { buildTraceTree } from '../factories/trace.factory';
import { addToOrg, signIn, SignedIn } from '../support/identity';
import { JudgeServer, startJudgeServer } from '../support/judge-server';
import { ownDatabase } from '../support/own-database';
import { createTestApp, TestApp } from '../support/test-app';

/** Every base table of the schema, read from the catalog: a table added later is counted too. */
async function allTables(ds: DataSource): Promise<string[]> {
  const rows: { table_name: string }[] = await ds.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  return rows.map((r) => r.table_name);
}

/** Per table, the rows that mention any of `ids` anywhere in the row (every column, as text). */
async function rowsMentioning(ds: DataSource, ids: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of await allTables(ds)) {
    const [{ n }] = await ds.query(
      `SELECT count(*)::int AS n FROM "${table}" t WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) id WHERE strpos(t::text, id) > 0)`,
      [ids],
    );
    out[table] = n;
  }
  return out;
}

/** Tables that hold no organization's rows: migration bookkeeping, and people (kept when their organization goes). */
const NOT_OWNED = ['migrations', 'users'];
/** Filled by triggers while rows are deleted (marks for the rollup refresher): they may count more than were there. */
const DIRTY_MARKS = ['rollup_dirty', 'score_rollup_dirty'];
/** Counts without the derived tables (rollups and their marks), which a background refresher rewrites. */
const stored = (counts: Record<string, number>) =>
  Object.fromEntries(Object.entries(counts).filter(([table]) => !/(_rollups|_percentiles|_dirty)$/.test(table)));

/**
 * Deleting an organization or a project leaves no row of theirs in any table, deletes in small
 * batches (ORG_PURGE_BATCH_SIZE=3 here, so every loop runs many times), answers what it deleted,
 * and touches nothing of another organization.
 */
describe('identity: deleting an organization or a project removes everything it owns, in every table', () => {
  let t: TestApp;
  let judge: JudgeServer;
  let db: Awaited<ReturnType<typeof ownDatabase>>;

  beforeAll(async () => {
    judge = await startJudgeServer();
    // Its own database: the census reads every row of every table, and other specs' rows would only slow it.
    db = await ownDatabase('purge');
    t = await createTestApp({
      DATABASE_URL: db.url,
      RUN_WORKER_IN_PROCESS: 'true',
      OPENAI_BASE_URL: judge.baseUrl,
      JUDGE_MAX_RETRIES: '0',
      EVAL_SWEEP_INTERVAL_MS: '500',
      RATE_LIMIT_DEFAULT: '1000000',
      RATE_LIMIT_INGEST: '1000000',
      RATE_LIMIT_EVAL_RUNS: '1000000',
      ORG_PURGE_BATCH_SIZE: '3',
      QUEUE_PREFIX: `purge${randomUUID().slice(0, 6)}`,
    });
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await judge?.close();
    await db?.drop();
  });

  interface Populated {
    owner: SignedIn;
    apiKey: string;
    /** Every id of theirs, to find their rows anywhere. */
    ids: string[];
    projectIds: string[];
  }

  /** An organization with two projects, each with data in every kind of table, a second member and an invitation. */
  async function populate(): Promise<Populated> {
    const owner = await signIn(t);
    const member = await signIn(t);
    await addToOrg(t, member, owner.orgId, MembershipRole.MEMBER);
    const ids = [owner.orgId];
    const key = await t.http
      .post(`/organizations/${owner.orgId}/api-keys`)
      .set(owner.auth)
      .send({ name: 'k' })
      .expect(201);
    ids.push(key.body.id);
    const invitation = await t.http
      .post(`/organizations/${owner.orgId}/invitations`)
      .set(owner.auth)
      .send({ email: `${randomUUID()}@example.com` })
      .expect(201);
    ids.push(invitation.body.id);
    const projectIds: string[] = [];
    for (const name of ['alpha', 'beta']) {
      const headers = { 'X-API-Key': key.body.raw_key, 'X-Project-Name': name };
      const session = `session-${randomUUID()}`;
      const traces = [0, 1, 2, 3].map(() => buildTraceTree(4, { session_id: session, tags: ['t'] }));
      for (const trace of traces) {
        await t.http.post('/traces').set(headers).send(trace).expect(202);
        ids.push(trace.trace_id, ...trace.spans!.map((s) => s.span_id));
      }
      const project = await t.http.get('/projects/current').set(headers).expect(200);
      projectIds.push(project.body.id);
      const score = await t.http
        .post('/evaluations/trace-scores')
        .set(headers)
        .send({ trace_id: traces[0].trace_id, name: 'manual', value: '0.5' })
        .expect(201);
      const run = await t.http
        .post('/evaluations/trace-runs/batch')
        .set(headers)
        .send({ metrics: ['confidence'], trace_ids: traces.map((x) => x.trace_id) })
        .expect(202);
      await waitForRun(t, { headers }, run.body.id);
      const sessionRun = await t.http
        .post('/evaluations/session-runs/batch')
        .set(headers)
        .send({ metrics: ['agent_reliability'], session_ids: [session] })
        .expect(202);
      await waitForRun(t, { headers }, sessionRun.body.id, { base: '/evaluations/session-runs' });
      const monitor = await t.http
        .post('/evaluations/monitors')
        .set(headers)
        .send({ name: 'm', target_type: 'TRACE', metrics: ['confidence'], cadence: 'daily', scope: 'all' })
        .expect(201);
      const fired = await t.http.post(`/evaluations/monitors/${monitor.body.id}/trigger`).set(headers).expect(202);
      await waitForRun(t, { headers }, fired.body.id);
      await t.http
        .post('/evaluations/custom-metrics')
        .set(headers)
        .send({ name: `cm_${name}`, description: 'rubric', output_type: 'BOOLEAN', prompt_template: '{{input}}' })
        .expect(201);
      // A row of the transcript opt-out (the runs above stored their judge transcripts already).
      await t.http.put('/evaluations/transcript-settings').set(headers).send({ enabled: true }).expect(200);
      ids.push(
        project.body.id,
        score.body.id,
        run.body.id,
        sessionRun.body.id,
        monitor.body.id,
        fired.body.id,
        session,
      );
    }
    // Rollups from what is stored, then one more trace and score, so dirty marks exist too.
    await t.app.get(RollupRefresher).refreshAll();
    await t.app.get(ScoreRollupRefresher).refreshAll();
    const late = buildTraceTree(2);
    await t.http
      .post('/traces')
      .set({ 'X-API-Key': key.body.raw_key, 'X-Project-Name': 'alpha' })
      .send(late)
      .expect(202);
    await t.http
      .post('/evaluations/trace-scores')
      .set({ 'X-API-Key': key.body.raw_key, 'X-Project-Name': 'alpha' })
      .send({ trace_id: late.trace_id, name: 'manual', value: '0.9' })
      .expect(201);
    ids.push(late.trace_id, ...late.spans!.map((s) => s.span_id));
    return { owner, apiKey: key.body.raw_key, ids, projectIds };
  }

  it('an organization: before, every table but migrations and users has rows of it; after, none has any', async () => {
    const victim = await populate();
    const bystander = await populate();
    // The refresher consumes dirty marks within seconds: leave one of each kind, as a write just did.
    await t.dataSource.query(`INSERT INTO rollup_dirty (project_id, slot) VALUES ($1, now())`, [victim.projectIds[0]]);
    await t.dataSource.query(`INSERT INTO score_rollup_dirty (project_id, name, slot) VALUES ($1, 'manual', now())`, [
      victim.projectIds[0],
    ]);
    // A slice of a filtered run not yet written to the ledger, as a run just created has (its worker turns it into items).
    await t.dataSource.query(
      `INSERT INTO eval_run_pending_items (run_id, slice, trace_ids)
       SELECT id, 1000, ARRAY[gen_random_uuid()] FROM eval_runs WHERE project_id = $1 ORDER BY created_at LIMIT 1`,
      [victim.projectIds[0]],
    );
    const before = await rowsMentioning(t.dataSource, victim.ids);
    // Dirty marks are transient: a rollup refresher (this app's, or a worker's) may have emptied them already.
    const empty = Object.entries(before).filter(
      ([table, n]) => n === 0 && !NOT_OWNED.includes(table) && !DIRTY_MARKS.includes(table),
    );
    // A table with none of its rows here means this test does not cover it yet: populate it above.
    expect(empty).toEqual([]);
    const bystanderBefore = await rowsMentioning(t.dataSource, bystander.ids);

    const res = await t.http.delete(`/organizations/${victim.owner.orgId}`).set(victim.owner.auth).expect(200);

    const after = await rowsMentioning(t.dataSource, victim.ids);
    expect(Object.entries(after).filter(([, n]) => n > 0)).toEqual([]);
    // Another organization's rows are all there (its rollups aside: the refresher rewrites them at any time).
    expect(stored(await rowsMentioning(t.dataSource, bystander.ids))).toEqual(stored(bystanderBefore));
    // What it says it deleted is what was there (memberships include the second member; users stay).
    for (const [table, n] of Object.entries(before)) {
      if (NOT_OWNED.includes(table) || table === 'spans' || table === 'eval_run_items') continue;
      if (DIRTY_MARKS.includes(table)) expect(res.body.deleted[table]).toBeGreaterThanOrEqual(n);
      else expect([table, res.body.deleted[table]]).toEqual([table, n]);
    }
    expect(res.body.deleted.spans).toBe(4 * 4 * 2 + 2);
    expect(res.body.deleted.organizations).toBe(1);
    // Its key is refused at once; its people remain, and get a new organization on their next request.
    await t.http.get('/traces').set({ 'X-API-Key': victim.apiKey, 'X-Project-Name': 'alpha' }).expect(401);
    const [{ n: people }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM users WHERE id = $1`, [
      victim.owner.userId,
    ]);
    expect(people).toBe(1);
  }, 180_000);

  it('a project: deletes its rows in every table, and nothing of the organization’s other project', async () => {
    const org = await populate();
    const [doomed, kept] = org.projectIds;
    const projectRows = async (projectId: string) => {
      // Ids under a project: the project itself and everything whose row names it, found through the catalog.
      const traceIds: { trace_id: string }[] = await t.dataSource.query(
        `SELECT trace_id FROM traces WHERE project_id = $1`,
        [projectId],
      );
      const runIds: { id: string }[] = await t.dataSource.query(`SELECT id FROM eval_runs WHERE project_id = $1`, [
        projectId,
      ]);
      return rowsMentioning(t.dataSource, [projectId, ...traceIds.map((r) => r.trace_id), ...runIds.map((r) => r.id)]);
    };
    const doomedBefore = await projectRows(doomed);
    const keptBefore = await projectRows(kept);
    expect(doomedBefore.traces).toBeGreaterThan(0);
    const res = await t.http
      .delete(`/organizations/${org.owner.orgId}/projects/${doomed}`)
      .set(org.owner.auth)
      .expect(200);
    expect(res.body.deleted).toMatchObject({
      projects: 1,
      traces: doomedBefore.traces,
      eval_runs: doomedBefore.eval_runs,
    });
    const doomedAfter = await projectRows(doomed);
    expect(Object.entries(doomedAfter).filter(([, n]) => n > 0)).toEqual([]);
    expect(await projectRows(kept)).toEqual(keptBefore);
    // The organization, its key and its members stay.
    await t.http.get('/traces').set({ 'X-API-Key': org.apiKey, 'X-Project-Name': 'beta' }).expect(200);
    await t.http.get(`/organizations/${org.owner.orgId}/members`).set(org.owner.auth).expect(200);
  }, 120_000);

  it('ingestion racing an organization’s deletion leaves nothing behind', async () => {
    const owner = await signIn(t);
    const key = await t.http
      .post(`/organizations/${owner.orgId}/api-keys`)
      .set(owner.auth)
      .send({ name: 'k' })
      .expect(201);
    const headers = { 'X-API-Key': key.body.raw_key, 'X-Project-Name': 'busy' };
    for (let i = 0; i < 20; i++) await t.http.post('/traces').set(headers).send(buildTraceTree(3)).expect(202);
    const projectId = (await t.http.get('/projects/current').set(headers).expect(200)).body.id as string;
    let stop = false;
    const writers = Array.from({ length: 4 }, async () => {
      const statuses: number[] = [];
      while (!stop) statuses.push((await t.http.post('/traces').set(headers).send(buildTraceTree(3))).status);
      return statuses;
    });
    await new Promise((r) => setTimeout(r, 100));
    await t.http.delete(`/organizations/${owner.orgId}`).set(owner.auth).expect(200);
    stop = true;
    const statuses = (await Promise.all(writers)).flat();
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    const left = await rowsMentioning(t.dataSource, [owner.orgId, projectId, key.body.id]);
    expect(Object.entries(left).filter(([, n]) => n > 0)).toEqual([]);
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM spans s WHERE NOT EXISTS (SELECT 1 FROM traces x WHERE x.trace_id = s.trace_id)`,
    );
    expect(n).toBe(0);
  }, 60_000);
});
