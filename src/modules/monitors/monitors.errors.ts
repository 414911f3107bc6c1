import { DomainError, notFound, unprocessable } from '../../common/errors/domain.error';

export const monitorNotFound = (id: string): DomainError => notFound(`Monitor ${id} not found.`);
export const unknownMonitorMetrics = (targetType: string, names: string[]): DomainError =>
  unprocessable(
    `Unknown ${targetType} metrics: ${names.join(', ')} (see GET /evaluations/${targetType === 'TRACE' ? 'trace' : 'session'}-metrics).`,
  );
export const zeroMonitorSamplingRate = (): DomainError =>
  unprocessable('sampling_rate 0 selects nothing; use a value greater than 0 and at most 1.');
/** A manual trigger that found nothing to evaluate: the reason the scheduler would have recorded. */
export const nothingToTrigger = (reason: string): DomainError => unprocessable(reason);
