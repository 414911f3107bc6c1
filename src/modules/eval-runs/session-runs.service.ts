import { Injectable } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { JudgeService } from '../judge/judge.service';
import { MetricsService } from '../metrics/metrics.service';
import { SESSION_SIGNALS } from '../metrics/session/session-metrics';
import { SessionScoreResponse } from '../scores/dto/session-score-response.dto';
import { TraceFilter } from '../traces/query/trace-filter';
import { parseTimestamp } from '../traces/utils/timestamp';
import {
  CreateBatchSessionRunDto,
  CreateSessionRunDto,
  SESSION_FILTER_KEYS,
  SessionRunFiltersDto,
} from './dto/create-session-run.dto';
import { EvalRunResponse } from './dto/eval-run-response.dto';
import { EvalRunStatus } from './entities/eval-run.entity';
import {
  noMatchingSessions,
  nothingToRetry,
  retryInFlight,
  runNotFinished,
  unknownMetrics,
  unknownSessionIds,
  zeroSamplingRate,
} from './eval-runs.errors';
import { EvalRunsService, scorePages } from './eval-runs.service';
import { SessionRunsRepository } from './session-runs.repository';

const randomSeed = (): number => randomInt(0, 2 ** 48 - 1);

/**
 * Creates SESSION runs (filtered, batch, retry) and reads their session scores. Validation,
 * budgets, sampling and dispatch are the trace runs' (EvalRunsService); reads, cancel and delete
 * go through EvalRunsService with target type SESSION.
 */
@Injectable()
export class SessionRunsService {
  constructor(
    private readonly repo: SessionRunsRepository,
    private readonly runs: EvalRunsService,
    private readonly metrics: MetricsService,
    private readonly judge: JudgeService,
  ) {}

  async createFiltered(projectId: string, dto: CreateSessionRunDto): Promise<EvalRunResponse> {
    const metricNames = this.checkMetrics(dto.metrics);
    const model = await this.judge.assertModelReady(dto.model ?? undefined);
    const rate = dto.sampling_rate ?? 1;
    if (rate === 0) throw zeroSamplingRate('sessions');
    const filters = dto.filters ?? {};
    const run = await this.runs.withinRunQuota(projectId, () =>
      this.repo.createFilteredRun({
        projectId,
        name: dto.name ?? null,
        metricNames,
        model,
        ...this.runs.runLimits(dto),
        filter: toSessionTraceFilter(projectId, filters),
        hasError: filters.has_error ?? null,
        minTraceCount: filters.min_trace_count ?? 1,
        storedFilters: { ...storedSessionFilters(filters), ...weightsOf(dto) },
        samplingRate: rate,
        samplingSeed: dto.sampling_seed ?? randomSeed(),
      }),
    );
    if (!run) throw noMatchingSessions();
    return this.runs.dispatch(run);
  }

  async createBatch(projectId: string, dto: CreateBatchSessionRunDto): Promise<EvalRunResponse> {
    const metricNames = this.checkMetrics(dto.metrics);
    const model = await this.judge.assertModelReady(dto.model ?? undefined);
    const sessionIds = [...new Set(dto.session_ids)];
    const missing = await this.repo.findMissingSessionIds(projectId, sessionIds);
    if (missing.length > 0) throw unknownSessionIds(missing);
    const run = await this.runs.withinRunQuota(projectId, () =>
      this.repo.createBatchRun({
        projectId,
        name: dto.name ?? null,
        metricNames,
        model,
        ...this.runs.runLimits(dto),
        sessionIds,
        samplingSeed: randomSeed(),
        storedFilters: { session_ids: sessionIds, ...weightsOf(dto) },
      }),
    );
    return this.runs.dispatch(run);
  }

  async retry(projectId: string, runId: string): Promise<EvalRunResponse> {
    const original = await this.runs.getRun(projectId, runId, 'SESSION');
    if (original.status === EvalRunStatus.PENDING || original.status === EvalRunStatus.RUNNING) {
      throw runNotFinished(original.id, original.status);
    }
    const run = await this.runs.withinRunQuota(projectId, () =>
      this.repo.createRetryRun(original, this.runs.runLimits({}), randomSeed()),
    );
    if ('inFlight' in run) throw retryInFlight(original.id, run.inFlight.id, run.inFlight.status);
    if ('nothing' in run) throw nothingToRetry();
    return this.runs.dispatch(run);
  }

  /** A session run's session scores, newest first, page by page; 404 when the run is not a session run of the project. */
  async scorePages(
    projectId: string,
    runId: string,
    window: { limit?: number; offset?: number },
  ): Promise<AsyncIterable<SessionScoreResponse[]>> {
    await this.runs.getRun(projectId, runId, 'SESSION');
    return scorePages(window, (page) => this.repo.listRunScores(projectId, runId, page), SessionScoreResponse.from);
  }

  /** Distinct session metric names in first-seen order; the signals need the judge and the embedding model. */
  private checkMetrics(names: string[]): string[] {
    const distinct = [...new Set(names)];
    const unknown = distinct.filter((n) => !this.metrics.isKnownSessionMetric(n));
    if (unknown.length > 0) throw unknownMetrics(unknown, 'session', ...this.metrics.metricNames('session'));
    this.metrics.assertJudgeable([...SESSION_SIGNALS]);
    return distinct;
  }
}

const weightsOf = (dto: { signal_weights?: Record<string, number> | null }) =>
  dto.signal_weights ? { signal_weights: dto.signal_weights } : {};

/** The filters as stored on the run: as sent, with null values dropped. */
function storedSessionFilters(filters: SessionRunFiltersDto): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of SESSION_FILTER_KEYS) {
    const value = filters[key];
    if (value !== null && value !== undefined) out[key] = value;
  }
  return out;
}

/** The conditions on the traces of the sessions (the shared trace-filter builder). Dates were validated by the DTO. */
export function toSessionTraceFilter(projectId: string, f: SessionRunFiltersDto): TraceFilter {
  const filter: TraceFilter = { projectId };
  if (f.date_from) filter.startedFrom = parseTimestamp(f.date_from)!;
  if (f.date_to) filter.startedBefore = parseTimestamp(f.date_to)!;
  if (f.user_id != null) filter.userId = f.user_id;
  if (f.tags && f.tags.length > 0) filter.tags = f.tags;
  return filter;
}
