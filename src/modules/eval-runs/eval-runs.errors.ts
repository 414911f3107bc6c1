import { conflict, DomainError, notFound, unprocessable } from '../../common/errors/domain.error';

/** At most this many ids are named in a 422 about unknown trace ids. */
const NAMED_IDS = 20;

export const evalRunNotFound = (id: string): DomainError => notFound(`Eval run ${id} not found.`);
export const unknownMetrics = (names: string[]): DomainError => unprocessable(`Unknown metrics: ${names.join(', ')}`);
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
