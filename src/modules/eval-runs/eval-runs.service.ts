import { Inject, Injectable } from '@nestjs/common';
import { OrgQuotaService } from '../quotas/org-quotas.service';
import { APP_CONFIG } from '../../config/config.module';
import type { AppConfig } from '../../config/env';
import { EvalMetrics } from '../operators/eval-metrics.service';
import { randomInt } from 'node:crypto';
import { Paginated } from '../../common/dto/pagination.dto';
import { JudgeService } from '../judge/judge.service';
import { MetricsService } from '../metrics/metrics.service';
import { CustomMetricRuns } from '../custom-metrics/runs/custom-metric-runs';
import type { TraceRunTemplate } from '../metrics/metrics.types';
import { TraceScoreResponse } from '../scores/dto/trace-score-response.dto';
import { TraceFilter } from '../traces/query/trace-filter';
import { parseTimestamp } from '../traces/utils/timestamp';
import { CreateBatchEvalRunDto } from './dto/create-batch-eval-run.dto';
import { CreateEvalRunDto } from './dto/create-eval-run.dto';
import { EvalRunFiltersDto, FILTER_KEYS } from './dto/eval-run-filters.dto';
import { EvalRunResponse } from './dto/eval-run-response.dto';
import { ListEvalRunsQueryDto } from './dto/eval-run-queries.dto';
import { EvalRunEntity, EvalRunStatus } from './entities/eval-run.entity';
import {
  evalRunNotFound,
  noMatchingTraces,
  nothingToRetry,
  retryInFlight,
  runAlreadyFinished,
  runNotFinished,
  unknownMetrics,
  unknownTraceIds,
  zeroSamplingRate,
} from './eval-runs.errors';
import { EvalRunsProducer } from './eval-runs.producer';
import { EvalRunsRepository, type TargetType } from './eval-runs.repository';

/** A custom metric's template shows its newest version: a date later than any version's. */
const LATEST = new Date('9999-12-31T00:00:00Z');

/** Seeds are drawn below 2^48 so they stay exact as JSON numbers and as PostgreSQL bigints. */
const randomSeed = (): number => randomInt(0, 2 ** 48 - 1);

/**
 * Validates, resolves and freezes runs, then wakes the workers. Never calls the judge itself:
 * every check happens before the one statement that writes the run and its ledger.
 */
@Injectable()
export class EvalRunsService {
  constructor(
    private readonly repo: EvalRunsRepository,
    private readonly producer: EvalRunsProducer,
    private readonly metrics: MetricsService,
    private readonly judge: JudgeService,
    private readonly evalMetrics: EvalMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly quotas: OrgQuotaService,
    private readonly customMetrics: CustomMetricRuns,
  ) {}

  /** Creates a run only while the project's organization has fewer than its quota of runs in flight. */
  async withinRunQuota<T>(projectId: string, create: () => Promise<T>): Promise<T> {
    return this.quotas.within(await this.quotas.orgOfProject(projectId), 'runsInFlight', create);
  }

  async createFiltered(projectId: string, dto: CreateEvalRunDto): Promise<EvalRunResponse> {
    const metricNames = await this.checkMetrics(projectId, dto.metrics);
    const model = await this.judge.assertModelReady(dto.model ?? undefined);
    const rate = dto.sampling_rate ?? 1;
    if (rate === 0) throw zeroSamplingRate();
    const filters = dto.filters ?? {};
    const run = await this.withinRunQuota(projectId, () =>
      this.repo.createFilteredRun({
        projectId,
        name: dto.name ?? null,
        metricNames,
        model,
        ...this.runLimits(dto),
        filter: toTraceFilter(projectId, filters),
        storedFilters: storedFilters(filters),
        samplingRate: rate,
        samplingSeed: dto.sampling_seed ?? randomSeed(),
      }),
    );
    if (!run) throw noMatchingTraces();
    return this.dispatch(run);
  }

  async createBatch(projectId: string, dto: CreateBatchEvalRunDto): Promise<EvalRunResponse> {
    const metricNames = await this.checkMetrics(projectId, dto.metrics);
    const model = await this.judge.assertModelReady(dto.model ?? undefined);
    const traceIds = [...new Set(dto.trace_ids.map((id) => id.toLowerCase()))];
    const missing = await this.repo.findMissingTraceIds(projectId, traceIds);
    if (missing.length > 0) throw unknownTraceIds(missing);
    const run = await this.withinRunQuota(projectId, () =>
      this.repo.createBatchRun({
        projectId,
        name: dto.name ?? null,
        metricNames,
        model,
        ...this.runLimits(dto),
        traceIds,
        samplingSeed: randomSeed(),
      }),
    );
    return this.dispatch(run);
  }

  async retry(projectId: string, runId: string): Promise<EvalRunResponse> {
    const original = await this.getRun(projectId, runId);
    if (original.status === EvalRunStatus.PENDING || original.status === EvalRunStatus.RUNNING) {
      throw runNotFinished(original.id, original.status);
    }
    const run = await this.withinRunQuota(projectId, () =>
      this.repo.createRetryRun(original, this.runLimits({}), randomSeed()),
    );
    if ('inFlight' in run) throw retryInFlight(original.id, run.inFlight.id, run.inFlight.status);
    if ('nothing' in run) throw nothingToRetry();
    return this.dispatch(run);
  }

  /**
   * Stops a PENDING or RUNNING run: CANCELLED at once, workers told over Redis (and, failing that,
   * at their next heartbeat) so no judge call of it starts afterwards; finished scores are kept.
   * Cancelling a cancelled run is a no-op; a COMPLETED or FAILED one is a 409.
   */
  async cancel(projectId: string, runId: string, type: TargetType = 'TRACE'): Promise<EvalRunResponse> {
    const { run, cancelled } = await this.repo.cancel(projectId, runId, type);
    if (!run) throw evalRunNotFound(runId);
    if (cancelled) {
      this.evalMetrics.runFinished('CANCELLED');
      await this.producer.announceStopped(run.id);
    } else if (run.status !== EvalRunStatus.CANCELLED) {
      throw runAlreadyFinished(run.id, run.status);
    }
    return EvalRunResponse.from(run);
  }

  list(projectId: string, q: ListEvalRunsQueryDto, type: TargetType = 'TRACE'): Promise<Paginated<EvalRunResponse>> {
    return this.repo
      .listRuns(projectId, q.status, q.limit, q.offset, type)
      .then((page) => ({ ...page, items: page.items.map((r) => EvalRunResponse.from(r)) }));
  }

  async get(projectId: string, runId: string, type: TargetType = 'TRACE'): Promise<EvalRunResponse> {
    return EvalRunResponse.from(await this.getRun(projectId, runId, type));
  }

  async delete(projectId: string, runId: string, deleteScores: boolean, type: TargetType = 'TRACE'): Promise<void> {
    if (!(await this.repo.deleteRun(projectId, runId, deleteScores, type))) throw evalRunNotFound(runId);
  }

  /**
   * A run's scores, newest first, page by page (SCORE_PAGE at a time), so the controller can stream a
   * run of any size. `limit`/`offset` select a window; without `limit` every score is returned.
   * Throws 404 before the first page when the run is not in the project.
   */
  async scorePages(
    projectId: string,
    runId: string,
    window: { limit?: number; offset?: number },
  ): Promise<AsyncIterable<TraceScoreResponse[]>> {
    await this.getRun(projectId, runId);
    return scorePages(window, (page) => this.repo.listRunScores(projectId, runId, page), TraceScoreResponse.from);
  }

  /** A built-in metric's template, or a custom metric's at its latest version (category `custom`). */
  async template(projectId: string, metric: string): Promise<TraceRunTemplate> {
    if (this.metrics.isKnownTraceMetric(metric)) return this.metrics.buildTemplate(metric);
    const live = await this.customMetrics.known(projectId, [metric]);
    // Every version saved so far (a date past any clock skew between us and the database).
    const pinned = live.length ? await this.customMetrics.forRun(projectId, live, LATEST) : undefined;
    return this.metrics.buildTemplate(metric, pinned?.get(metric));
  }

  /** The run of this project with that target type; 404 otherwise. */
  async getRun(projectId: string, runId: string, type: TargetType = 'TRACE'): Promise<EvalRunEntity> {
    const run = await this.repo.findRun(projectId, runId, type);
    if (!run) throw evalRunNotFound(runId);
    return run;
  }

  /** Distinct names in first-seen order; every one must be a listed trace metric the judge can serve. */
  /** Built-in trace metrics and the project's custom metrics (the worker pins their versions by the run's creation time). */
  private async checkMetrics(projectId: string, names: string[]): Promise<string[]> {
    const distinct = [...new Set(names)];
    const builtIn = (n: string) => this.metrics.isKnownTraceMetric(n);
    const custom = new Set(
      await this.customMetrics.known(
        projectId,
        distinct.filter((n) => !builtIn(n)),
      ),
    );
    const unknown = distinct.filter((n) => !builtIn(n) && !custom.has(n));
    if (unknown.length > 0) throw unknownMetrics(unknown, 'trace', ...this.metrics.metricNames('trace'));
    this.metrics.assertJudgeable(distinct);
    return distinct;
  }

  /** Slice size and budgets of a new run: the request's, else the configured defaults. */
  runLimits(dto: { max_judge_calls?: number | null; max_judge_tokens?: number | null }) {
    const { jobSliceSize, defaultMaxJudgeCalls, defaultMaxJudgeTokens } = this.config.evalRuns;
    return {
      sliceSize: jobSliceSize,
      maxJudgeCalls: dto.max_judge_calls ?? defaultMaxJudgeCalls ?? null,
      maxJudgeTokens: dto.max_judge_tokens ?? defaultMaxJudgeTokens ?? null,
    };
  }

  /** Enqueues the run's project's slice window (its first slices if there is room), after the commit. */
  async dispatch(run: EvalRunEntity): Promise<EvalRunResponse> {
    await this.producer.enqueueRun(run.id, true);
    return EvalRunResponse.from(run);
  }
}

const SCORE_PAGE = 1000;

/**
 * A run's scores page by page (SCORE_PAGE at a time, keyset on the last id), so a controller can
 * stream a run of any size. `limit`/`offset` select a window; without `limit` every score.
 */
export function scorePages<Row extends { id: string }, Out>(
  window: { limit?: number; offset?: number },
  fetch: (page: { count: number; offset?: number; afterId?: string }) => Promise<Row[]>,
  map: (row: Row) => Out,
): AsyncIterable<Out[]> {
  return (async function* () {
    let left = window.limit ?? Infinity;
    let afterId: string | undefined;
    while (left > 0) {
      const count = Math.min(SCORE_PAGE, left);
      const rows = await fetch({ count, offset: window.offset, afterId });
      if (rows.length > 0) yield rows.map(map);
      if (rows.length < count) return;
      left -= rows.length;
      afterId = rows[rows.length - 1].id;
    }
  })();
}

/** The filters as stored on the run: as sent, with null values dropped. */
export function storedFilters(filters: EvalRunFiltersDto): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of FILTER_KEYS) {
    const value = filters[key];
    if (value !== null && value !== undefined) out[key] = value;
  }
  return out;
}

/** The request's filters as the shared trace-filter builder's input. Dates were validated by the DTO. */
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
