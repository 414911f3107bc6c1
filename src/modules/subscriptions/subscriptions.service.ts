import { Injectable } from '@nestjs/common';
import { unprocessable } from '../../common/errors/domain.error';
import { OrganizationsService } from '../auth/organizations.service';
import { UserContext } from '../auth/types/project-context';
import { OrgQuotaService } from '../quotas/org-quotas.service';
import {
  BillingResponse,
  CategoryBreakdown,
  PlanInfo,
  SubscriptionResponse,
  UsagePeriodResponse,
  UsageResponse,
} from './dto';
import { PlanLimitsSource } from './plan-limits.source';
import {
  LIMIT_OF,
  periodOf,
  SELF_HOSTED_PLAN,
  SUBSCRIPTION_STATUS,
  USAGE_CATEGORIES,
  UsageCounts,
  ZERO_MONEY,
} from './self-hosted-plan';
import { UsageCounter } from './usage-counter.service';

export const NOT_BILLED =
  'Billing is not part of a self-hosted instance: every organization is on the free DEVELOPMENT plan, ' +
  'with no limits unless the operator sets them.';

/** The subscription reads the dashboard makes, answered for a self-hosted instance (no billing). */
@Injectable()
export class SubscriptionsService {
  constructor(
    private readonly organizations: OrganizationsService,
    private readonly usage: UsageCounter,
    private readonly limits: PlanLimitsSource,
    private readonly quotas: OrgQuotaService,
  ) {}

  async subscription(user: UserContext, orgId: string): Promise<SubscriptionResponse> {
    const org = await this.organizations.memberOrg(user.userId, orgId);
    const { start, end } = periodOf(new Date());
    return {
      id: org.id,
      org_id: org.id,
      plan: SELF_HOSTED_PLAN,
      status: SUBSCRIPTION_STATUS,
      current_period_start: start.toISOString(),
      current_period_end: end.toISOString(),
      canceled_at: null,
      created_at: org.createdAt.toISOString(),
    };
  }

  async currentUsage(user: UserContext, orgId: string): Promise<UsageResponse> {
    await this.organizations.memberOrg(user.userId, orgId);
    const [used, quotas] = await Promise.all([this.usage.month(orgId, new Date()), this.quotas.report(orgId)]);
    return {
      plan: SELF_HOSTED_PLAN,
      status: SUBSCRIPTION_STATUS,
      period_start: used.periodStart.toISOString(),
      period_end: used.periodEnd.toISOString(),
      ...counts(used),
      limits: await this.limits.forOrganization(orgId),
      quotas,
    };
  }

  /** The billing page's breakdown: what was used against what is included; nothing costs anything. */
  async billing(user: UserContext, orgId: string): Promise<BillingResponse> {
    await this.organizations.memberOrg(user.userId, orgId);
    const [used, limits] = await Promise.all([this.usage.month(orgId, new Date()), this.limits.forOrganization(orgId)]);
    const breakdown = (category: (typeof USAGE_CATEGORIES)[number]): CategoryBreakdown => ({
      used: used[category],
      included: limits[LIMIT_OF[category]],
      overage_units: 0,
      overage_cost: ZERO_MONEY,
    });
    return {
      plan: SELF_HOSTED_PLAN,
      period_start: used.periodStart.toISOString(),
      period_end: used.periodEnd.toISOString(),
      base_price_cents: 0,
      overage_unit_price: ZERO_MONEY,
      traces: breakdown('traces'),
      trace_evals: breakdown('trace_evals'),
      session_evals: breakdown('session_evals'),
      total_overage_cost: ZERO_MONEY,
      reported_overage_cost: ZERO_MONEY,
      pending_overage_cost: ZERO_MONEY,
      estimated_total_cents: 0,
    };
  }

  /** Usage periods, newest first, from the organization's first month on. Nothing is billed. */
  async periods(user: UserContext, orgId: string, limit: number): Promise<UsagePeriodResponse[]> {
    const org = await this.organizations.memberOrg(user.userId, orgId);
    const rows = await this.usage.byMonth(orgId, org.createdAt, new Date(), limit);
    return rows.map((r) => ({
      period_start: r.periodStart.toISOString(),
      period_end: r.periodEnd.toISOString(),
      trace_count: r.traces,
      trace_eval_count: r.trace_evals,
      session_eval_count: r.session_evals,
      billed: false,
      stripe_invoice_id: null,
    }));
  }

  /** Checkout and the billing portal: an admin gets the reason, others the usual 403 first. */
  async refuseBilling(user: UserContext, orgId: string): Promise<never> {
    await this.organizations.assertAdmin(user.userId, orgId);
    throw unprocessable(NOT_BILLED);
  }

  plans(): PlanInfo[] {
    return [
      { name: SELF_HOSTED_PLAN, ...this.limits.defaults(), monthly_price_cents: 0, overage_unit_price: ZERO_MONEY },
    ];
  }
}

const counts = (u: UsageCounts): UsageCounts => ({
  traces: u.traces,
  trace_evals: u.trace_evals,
  session_evals: u.session_evals,
});
