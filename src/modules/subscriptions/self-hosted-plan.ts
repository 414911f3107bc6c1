/**
 * The one plan of a self-hosted instance: the dashboard's DEVELOPMENT value, free, nothing billed.
 * Limits are null (unlimited): quotas, when an operator sets them, come from `PlanLimitsSource`.
 */
export const SELF_HOSTED_PLAN = 'DEVELOPMENT';
export const SUBSCRIPTION_STATUS = 'ACTIVE';

/** The usage categories, each with the plan limit that bounds it. Add a category here and in UsageCounter. */
export const USAGE_CATEGORIES = ['traces', 'trace_evals', 'session_evals'] as const;
export type UsageCategory = (typeof USAGE_CATEGORIES)[number];
export type UsageCounts = Record<UsageCategory, number>;

export interface PlanLimits {
  base_traces: number | null;
  base_trace_evals: number | null;
  base_session_evals: number | null;
  monitoring_allowed: boolean;
  max_members: number | null;
  pay_as_you_go: boolean;
}

/** Which limit bounds which category. */
export const LIMIT_OF: Record<UsageCategory, 'base_traces' | 'base_trace_evals' | 'base_session_evals'> = {
  traces: 'base_traces',
  trace_evals: 'base_trace_evals',
  session_evals: 'base_session_evals',
};

export const SELF_HOSTED_LIMITS: PlanLimits = Object.freeze({
  base_traces: null,
  base_trace_evals: null,
  base_session_evals: null,
  monitoring_allowed: true,
  max_members: null,
  pay_as_you_go: false,
});

/** Nothing is billed: the unit price and every cost are zero, in the original's three-place decimal strings. */
export const ZERO_MONEY = '0.000';

/** A billing period: the UTC calendar month holding `at`. */
export function periodOf(at: Date): { start: Date; end: Date } {
  const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  const end = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
  return { start, end };
}
