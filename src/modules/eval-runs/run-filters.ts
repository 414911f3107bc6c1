import { TraceFilter } from '../traces/query/trace-filter';
import { parseTimestamp } from '../traces/utils/timestamp';
import type { SessionRunFiltersDto } from './dto/create-session-run.dto';
import type { EvalRunFiltersDto } from './dto/eval-run-filters.dto';

/** A run request's filters as stored on the run: the given keys as sent, null values dropped. */
export function storedFilters<F extends object>(filters: F, keys: readonly (keyof F)[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = filters[key];
    if (value !== null && value !== undefined) out[key as string] = value;
  }
  return out;
}

/** A session run's signal weights, as stored in its filters (nothing when none were sent). */
export const weightsOf = (dto: object): { signal_weights?: Record<string, number> } =>
  'signal_weights' in dto && dto.signal_weights ? { signal_weights: dto.signal_weights as Record<string, number> } : {};

/** A trace run's filters as the shared trace-filter builder's input. Dates were validated by the DTO. */
export function toTraceFilter(projectId: string, f: EvalRunFiltersDto): TraceFilter {
  const filter: TraceFilter = { projectId };
  if (f.date_from) filter.startedFrom = parseTimestamp(f.date_from)!;
  if (f.date_to) filter.startedBefore = parseTimestamp(f.date_to)!;
  if (f.status) filter.status = f.status;
  if (f.session_id != null) filter.sessionId = f.session_id;
  if (f.user_id != null) filter.userId = f.user_id;
  if (f.tags && f.tags.length > 0) filter.tags = f.tags;
  if (f.name) filter.name = f.name;
  return filter;
}

/** The conditions a session run puts on the traces of its sessions (dates, user, tags). */
export function toSessionTraceFilter(projectId: string, f: SessionRunFiltersDto): TraceFilter {
  return toTraceFilter(projectId, { date_from: f.date_from, date_to: f.date_to, user_id: f.user_id, tags: f.tags });
}
