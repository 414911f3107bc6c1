/**
 * Payload of an EVALUATE_ITEMS_JOB: one slice of a run's ledger (the items whose `slice` column is
 * this number), ids only. The job stays active while the slice's items are judged; what to do is
 * read from the ledger in PostgreSQL, so a job that is lost, duplicated or re-delivered neither
 * loses nor repeats work.
 */
export interface EvaluateItemsJob {
  runId: string;
  slice: number;
}

/** One job per slice at a time: the job id is the slice's, so re-adding a queued or active slice does nothing. */
export const sliceJobId = (runId: string, slice: number): string => `${runId}:${slice}`;
