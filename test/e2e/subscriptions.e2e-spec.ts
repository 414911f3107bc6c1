import { randomBytes } from 'node:crypto';
import { MembershipRole } from '../../src/modules/auth/entities/membership.entity';
import { ApiKeysService } from '../../src/modules/auth/api-keys.service';
import { ProjectEntity } from '../../src/modules/auth/entities/project.entity';
import { OrgQuotaService } from '../../src/modules/quotas/org-quotas.service';
import { ScoreSource } from '../../src/modules/scores/entities/trace-score.entity';
import { waitUntil } from '../factories/eval-run.factory';
import { insertSessionScore } from '../factories/session-score.factory';
import { ingestTrace } from '../factories/trace.factory';
import { createMember, createTenant, Tenant } from '../support/tenancy';
import { createTestApp, TestApp } from '../support/test-app';
import { formatTimestamp } from '../../src/common/timestamps';

const UNLIMITED = {
  base_traces: null,
  base_trace_evals: null,
  base_session_evals: null,
  monitoring_allowed: true,
  max_members: null,
  pay_as_you_go: false,
};
const NOT_BILLED = /^Billing is not part of a self-hosted instance/;

/** Start of the current UTC month, and of the one before. */
const monthStart = (back = 0) => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1));
};

describe('subscriptions on a self-hosted instance (the dashboard reads)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ QUEUE_PREFIX: `sb${randomBytes(3).toString('hex')}` });
  });
  afterAll(async () => {
    await t?.close();
  });

  const sub = (tenant: Tenant, path = '') => `/organizations/${tenant.orgId}/subscriptions${path}`;
  const bearer = (m: { headers: Record<string, string> }) => ({ Authorization: m.headers.Authorization });

  /** Traces ingested through the API (and committed), AUTOMATED and ANNOTATION scores, some last month. */
  async function seedUsage(tenant: Tenant, traces: number) {
    for (let i = 0; i < traces; i++) await ingestTrace(t, tenant);
    const count = async () =>
      Number(
        (await t.dataSource.query(`SELECT count(*) AS n FROM traces WHERE project_id = $1`, [tenant.projectId]))[0].n,
      );
    await waitUntil(async () => (await count()) === traces, 'ingested traces committed');
    const [trace] = await t.dataSource.query(`SELECT trace_id FROM traces WHERE project_id = $1 LIMIT 1`, [
      tenant.projectId,
    ]);
    for (const [name, source] of [
      ['confidence', 'AUTOMATED'],
      ['coherence', 'AUTOMATED'],
      ['helpfulness', 'ANNOTATION'],
    ])
      await t.dataSource.query(
        `INSERT INTO trace_scores (trace_id, project_id, name, source, value) VALUES ($1, $2, $3, $4, '0.5')`,
        [trace.trace_id, tenant.projectId, name, source],
      );
    const now = new Date().toISOString();
    const score = (source: ScoreSource, createdAt = now) =>
      insertSessionScore(t.dataSource, tenant.projectId, {
        sessionId: 's1',
        name: 'x',
        value: '0.7',
        source,
        createdAt,
      });
    await score(ScoreSource.AUTOMATED);
    await score(ScoreSource.ANNOTATION);
    await score(ScoreSource.AUTOMATED, '2020-01-01T00:00:00Z'); // long before this period
  }

  it("reports the organization's quotas on /usage: each limit with its default and variable, and what is used", async () => {
    const a = await createTenant(t); // one project, one active key
    const member = await createMember(t, a, MembershipRole.MEMBER);
    const revoked = await t.app.get(ApiKeysService).create(a.orgId, 'revoked');
    await t.dataSource.query(`UPDATE api_keys SET is_active = false WHERE id = $1`, [revoked.key.id]);
    const quotas = t.app.get(OrgQuotaService);
    await quotas.reserveJudgeCall(a.orgId);
    await quotas.reserveJudgeCall(a.orgId);
    await quotas.recordJudgeTokens(a.orgId, 1234);
    const usage = await t.http.get(sub(a, '/usage')).set(bearer(member)).expect(200);
    expect(usage.body.quotas).toEqual([
      { name: 'projects', variable: 'QUOTA_PROJECTS_PER_ORG', limit: 100, used: 1 },
      { name: 'apiKeys', variable: 'QUOTA_API_KEYS_PER_ORG', limit: 100, used: 1 },
      { name: 'monitors', variable: 'QUOTA_MONITORS_PER_ORG', limit: 200, used: 0 },
      { name: 'runsInFlight', variable: 'QUOTA_RUNS_IN_FLIGHT_PER_ORG', limit: 50, used: 0 },
      { name: 'judgeCallsPerDay', variable: 'QUOTA_JUDGE_CALLS_PER_DAY', limit: 100_000, used: 2 },
      { name: 'judgeTokensPerDay', variable: 'QUOTA_JUDGE_TOKENS_PER_DAY', limit: 50_000_000, used: 1234 },
    ]);
    // Another organization's use is not counted.
    const b = await createTenant(t);
    const other = await t.http
      .get(sub(b, '/usage'))
      .set(bearer(await createMember(t, b)))
      .expect(200);
    expect(other.body.quotas.map((q: { used: number }) => q.used)).toEqual([1, 1, 0, 0, 0, 0]);
  });

  it('answers every read with the DEVELOPMENT plan, no limits, and usage counted from what was ingested and evaluated', async () => {
    const a = await createTenant(t);
    const b = await createTenant(t);
    const member = await createMember(t, a, MembershipRole.MEMBER);
    await seedUsage(a, 3);
    await seedUsage(b, 1); // another organization's usage is not ours
    // A second project of the organization counts too.
    const second = await t.dataSource
      .getRepository(ProjectEntity)
      .save({ orgId: a.orgId, name: `second-${a.projectName}` });
    await ingestTrace(t, { ...a, projectName: second.name, headers: { ...a.headers, 'X-Project-Name': second.name } });
    await waitUntil(
      async () =>
        Number(
          (await t.dataSource.query(`SELECT count(*) AS n FROM traces WHERE project_id = $1`, [second.id]))[0].n,
        ) === 1,
      'second project trace',
    );
    // Last month's trace belongs to last month's period.
    await t.dataSource.query(
      `UPDATE traces SET created_at = $2 WHERE trace_id = (SELECT trace_id FROM traces WHERE project_id = $1 LIMIT 1)`,
      [a.projectId, new Date(monthStart(0).getTime() - 3_600_000)],
    );
    await t.dataSource.query(`UPDATE organizations SET created_at = $2 WHERE id = $1`, [a.orgId, monthStart(1)]);

    const subscription = await t.http.get(sub(a)).set(bearer(member)).expect(200);
    expect(subscription.body).toEqual({
      id: a.orgId,
      org_id: a.orgId,
      plan: 'DEVELOPMENT',
      status: 'ACTIVE',
      current_period_start: formatTimestamp(monthStart(0)),
      current_period_end: formatTimestamp(monthStart(-1)),
      canceled_at: null,
      created_at: formatTimestamp(monthStart(1)),
    });

    const usage = await t.http.get(sub(a, '/usage')).set(bearer(member)).expect(200);
    expect(usage.body).toEqual({
      plan: 'DEVELOPMENT',
      status: 'ACTIVE',
      period_start: formatTimestamp(monthStart(0)),
      period_end: formatTimestamp(monthStart(-1)),
      traces: 3, // 3 + 1 in the second project − 1 moved to last month
      trace_evals: 2, // AUTOMATED only: a person's annotation is no evaluation
      session_evals: 1,
      limits: UNLIMITED,
      quotas: expect.any(Array), // the next test
    });

    const billing = await t.http.get(sub(a, '/billing')).set(bearer(member)).expect(200);
    const line = (used: number) => ({ used, included: null, overage_units: 0, overage_cost: '0.000' });
    expect(billing.body).toEqual({
      plan: 'DEVELOPMENT',
      period_start: formatTimestamp(monthStart(0)),
      period_end: formatTimestamp(monthStart(-1)),
      base_price_cents: 0,
      overage_unit_price: '0.000',
      traces: line(3),
      trace_evals: line(2),
      session_evals: line(1),
      total_overage_cost: '0.000',
      reported_overage_cost: '0.000',
      pending_overage_cost: '0.000',
      estimated_total_cents: 0,
    });

    const invoices = await t.http.get(sub(a, '/invoices?limit=12')).set(bearer(member)).expect(200);
    expect(invoices.body).toEqual([
      {
        period_start: formatTimestamp(monthStart(0)),
        period_end: formatTimestamp(monthStart(-1)),
        trace_count: 3,
        trace_eval_count: 2,
        session_eval_count: 1,
        billed: false,
        stripe_invoice_id: null,
      },
      {
        period_start: formatTimestamp(monthStart(1)),
        period_end: formatTimestamp(monthStart(0)),
        trace_count: 1,
        trace_eval_count: 0,
        session_eval_count: 0,
        billed: false,
        stripe_invoice_id: null,
      },
    ]);
    const one = await t.http.get(sub(a, '/invoices?limit=1')).set(bearer(member)).expect(200);
    expect(one.body).toHaveLength(1);

    const other = await t.http
      .get(sub(b, '/usage'))
      .set(bearer(await createMember(t, b)))
      .expect(200);
    expect(other.body).toMatchObject({ traces: 1, trace_evals: 2, session_evals: 1 });
  });

  it('lists the self-hosted plan as the only plan (the plans page marks it current)', async () => {
    const a = await createTenant(t);
    const member = await createMember(t, a);
    const plans = await t.http.get('/subscriptions/plans').set(bearer(member)).expect(200);
    expect(plans.body).toEqual([
      { name: 'DEVELOPMENT', ...UNLIMITED, monthly_price_cents: 0, overage_unit_price: '0.000' },
    ]);
    await t.http.get('/subscriptions/plans').expect(401);
  });

  it('checkout and portal answer 422 saying billing is not part of a self-hosted instance', async () => {
    const a = await createTenant(t);
    const admin = await createMember(t, a, MembershipRole.ADMIN);
    const member = await createMember(t, a, MembershipRole.MEMBER);
    const checkout = { plan: 'PRO', success_url: 'http://localhost:3000/x', cancel_url: 'http://localhost:3000/y' };
    const refused = await t.http.post(sub(a, '/checkout')).set(bearer(admin)).send(checkout).expect(422);
    expect(refused.body.detail).toMatch(NOT_BILLED);
    const portal = await t.http
      .post(sub(a, '/portal'))
      .set(bearer(admin))
      .send({ return_url: 'http://localhost:3000/' })
      .expect(422);
    expect(portal.body.detail).toMatch(NOT_BILLED);
    // Members are refused as in the original (admin only); a body missing fields is a validation error.
    await t.http.post(sub(a, '/checkout')).set(bearer(member)).send(checkout).expect(403);
    const bad = await t.http.post(sub(a, '/portal')).set(bearer(admin)).send({}).expect(422);
    expect(bad.body.detail).toBe('Validation error');
  });

  it('non-members get 403 for every read; bad ids and limits are 422', async () => {
    const a = await createTenant(t);
    const b = await createTenant(t);
    const outsider = await createMember(t, b, MembershipRole.OWNER);
    for (const path of ['', '/usage', '/billing', '/invoices']) {
      const res = await t.http.get(sub(a, path)).set(bearer(outsider)).expect(403);
      expect(res.body.detail).toBe('You are not a member of this organization.');
    }
    const member = await createMember(t, a);
    for (const limit of ['0', '37', 'x'])
      await t.http
        .get(sub(a, `/invoices?limit=${limit}`))
        .set(bearer(member))
        .expect(422);
    await t.http.get('/organizations/not-a-uuid/subscriptions').set(bearer(member)).expect(422);
    await t.http.get(sub(a)).set(a.headers).expect(401); // an API key is no user
  });
});
