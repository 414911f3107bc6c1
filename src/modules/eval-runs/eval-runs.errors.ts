import { conflict, DomainError, notFound, unprocessable } from '../../common/errors/domain.error';

/** At most this many ids are named in a 422 about unknown trace ids. */
const NAMED_IDS = 20;

export const evalRunNotFound = (id: string): DomainError => notFound(`Eval run ${id} not found.`);
/**
 * Metric names a run cannot take: those of the other kind said so (a session metric in a trace run),
 * the rest unknown; and the names it can take, listed.
 */
export function unknownMetrics(
  names: string[],
  kind: 'trace' | 'session',
  valid: string[],
  otherKind: string[],
): DomainError {
  const other = kind === 'trace' ? 'session' : 'trace';
  const misplaced = names.filter((n) => otherKind.includes(n));
  const unknown = names.filter((n) => !otherKind.includes(n));
  const parts: string[] = [];
  if (unknown.length) parts.push(`Unknown metrics: ${unknown.join(', ')}.`);
  if (misplaced.length)
    parts.push(
      `${misplaced.join(', ')} ${misplaced.length === 1 ? `is a ${other} metric` : `are ${other} metrics`}: evaluate ${other}s with POST /evaluations/${other}-runs.`,
    );
  parts.push(`The ${kind} metrics are: ${valid.join(', ')} (GET /evaluations/${kind}-metrics).`);
  return unprocessable(parts.join(' '));
}
export const noMatchingTraces = (): DomainError => unprocessable('No traces match the provided filters.');
export const zeroSamplingRate = (targets = 'traces'): DomainError =>
  unprocessable(`sampling_rate 0 selects no ${targets}; use a value greater than 0 and at most 1.`);
export const noMatchingSessions = (): DomainError => unprocessable('No sessions match the provided filters.');
export const nothingToRetry = (): DomainError => unprocessable('No failed scores to retry in this run.');
export const runNotFinished = (id: string, status: string): DomainError =>
  conflict(`Eval run ${id} is still ${status}; retry it once it has finished (or cancel it first).`);
export const retryInFlight = (id: string, retryId: string, status: string): DomainError =>
  conflict(`Eval run ${id} already has a retry in flight: ${retryId} (${status}); wait for it to finish or cancel it.`);
export const runAlreadyFinished = (id: string, status: string): DomainError =>
  conflict(`Eval run ${id} is already ${status}; only a PENDING or RUNNING run can be cancelled.`);

export function unknownTraceIds(ids: string[]): DomainError {
  return unprocessable(`Traces not found in this project: ${nameSome(ids)}`);
}

export function unknownSessionIds(ids: string[]): DomainError {
  return unprocessable(`Sessions not found in this project: ${nameSome(ids)}`);
}

function nameSome(ids: string[]): string {
  const more = ids.length > NAMED_IDS ? ` and ${ids.length - NAMED_IDS} more` : '';
  return ids.slice(0, NAMED_IDS).join(', ') + more;
}
