import { Injectable } from '@nestjs/common';
import { PlanLimits, SELF_HOSTED_LIMITS } from './self-hosted-plan';

/**
 * An organization's limits, as /usage, /billing and /subscriptions/plans report them. The one place
 * per-organization quotas (issue 22) plug in: return them here and every report follows.
 */
@Injectable()
export class PlanLimitsSource {
  async forOrganization(_orgId: string): Promise<PlanLimits> {
    return SELF_HOSTED_LIMITS;
  }

  defaults(): PlanLimits {
    return SELF_HOSTED_LIMITS;
  }
}
