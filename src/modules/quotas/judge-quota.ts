/** Reserve-before-call accounting of judge calls (OrgQuotaService.judgeQuotaOf); metrics call it around each judge call. */
export interface JudgeQuota {
  reserve(): Promise<void>;
  record(tokens: number): Promise<void>;
}
