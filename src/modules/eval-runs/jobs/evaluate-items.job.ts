/**
 * Payload of an EVALUATE_ITEMS_JOB: ids only. The job is a wake-up call for a worker process
 * ("run X has open items"); what to do is read from the run's ledger in PostgreSQL, so the job
 * can be lost, duplicated or re-delivered without harm.
 */
export interface EvaluateItemsJob {
  runId: string;
}
