/** Reserve-before-call accounting of judge calls (OrgQuotaService.judgeQuotaOf); metrics call it around each judge call. */
export interface JudgeQuota {
  /**
   * Takes one call of the organization's day (or throws the quota's 429). Resolves to what gives it
   * back, for a call that was not made after all (an embedding served from the project's cache).
   */
  reserve(): Promise<GiveBack>;
  record(tokens: number): Promise<void>;
}

/** Gives one reserved call back to the day it was taken from. */
export type GiveBack = () => Promise<void>;

export const NOTHING_TO_GIVE_BACK: GiveBack = async () => undefined;
