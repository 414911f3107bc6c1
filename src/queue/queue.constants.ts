/** Queue and job names: the only place they are spelled. */
export const EVAL_RUNS_QUEUE = 'eval-runs';
export const EVALUATE_ITEMS_JOB = 'evaluate-items';
/**
 * Finished jobs are kept a while so Bull Board's Completed and Failed tabs show the last runs' work
 * (PostgreSQL stays the record: these are a view, dropped by age or count, whichever comes first).
 */
export const KEEP_COMPLETED_JOBS = { age: 3600, count: 200 };
export const KEEP_FAILED_JOBS = { age: 7 * 24 * 3600, count: 1000 };
