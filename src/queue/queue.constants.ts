/** Queue and job names: the only place they are spelled. */
export const EVAL_RUNS_QUEUE = 'eval-runs';
export const EVALUATE_ITEMS_JOB = 'evaluate-items';
