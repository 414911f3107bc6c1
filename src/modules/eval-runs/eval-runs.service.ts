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
import { SESSION_SIGNALS } from '../metrics/session/session-metrics';
import { SessionScoreResponse } from '../scores/dto/session-score-response.dto';
import { TraceScoreResponse } from '../scores/dto/trace-score-response.dto';
import type { SessionScoreEntity } from '../scores/entities/session-score.entity';
import type { TraceScoreEntity } from '../scores/entities/trace-score.entity';
import { RunScoreStore } from '../scores/run-scores.store';
import type { CreateBatchEvalRunDto } from './dto/create-batch-eval-run.dto';
import type { CreateEvalRunDto } from './dto/create-eval-run.dto';
import {
  type CreateBatchSessionRunDto,
  type CreateSessionRunDto,
  SESSION_FILTER_KEYS,
} from './dto/create-session-run.dto';
import { FILTER_KEYS } from './dto/eval-run-filters.dto';
import { EvalRunResponse } from './dto/eval-run-response.dto';
import { ListEvalRunsQueryDto } from './dto/eval-run-queries.dto';
import { EvalRunEntity, EvalRunStatus } from './entities/eval-run.entity';
import {
  evalRunNotFound,
  noMatchingSessions,
  noMatchingTraces,
  nothingToRetry,
  retryInFlight,
  runAlreadyFinished,
  runNotFinished,
  unknownMetrics,
  unknownSessionIds,
  unknownTraceIds,
  zeroSamplingRate,
} from './eval-runs.errors';
import { EvalRunsProducer } from './eval-runs.producer';
import { EvalRunsRepository, type NewRunFields } from './eval-runs.repository';
import { storedFilters, toSessionTraceFilter, toTraceFilter, weightsOf } from './run-filters';
import { runTarget, type TargetType } from './run-targets';
import { SessionRunsRepository } from './session-runs.repository';

export { storedFilters, toSessionTraceFilter, toTraceFilter } from './run-filters';

/** A custom metric's template shows its newest version: a date later than any version's. */
const LATEST = new Date('9999-12-31T00:00:00Z');

/** Seeds are drawn below 2^48 so they stay exact as JSON numbers and as PostgreSQL bigints. */
const randomSeed = (): number => randomInt(0, 2 ** 48 - 1);

/** What differs between targets once a request is validated: the words of its refusals and its scores' shape. */
const RULES = {
  TRACE: {
    kind: 'trace',
    noun: 'traces',
    noMatch: noMatchingTraces,
    unknownIds: unknownTraceIds,
    // Ids compare lowercased ('loose' UUIDs), duplicates removed keeping the first.
    ids: (dto: { trace_ids?: string[] }) => [...new Set(dto.trace_ids!.map((id) => id.toLowerCase()))],
    score: (row: TraceScoreEntity | SessionScoreEntity): TraceScoreResponse | SessionScoreResponse =>
      TraceScoreResponse.from(row as TraceScoreEntity),
  },
  SESSION: {
    kind: 'session',
    noun: 'sessions',
    noMatch: noMatchingSessions,
    unknownIds: unknownSessionIds,
    ids: (dto: { session_ids?: string[] }) => [...new Set(dto.session_ids!)],
    score: (row: TraceScoreEntity | SessionScoreEntity): TraceScoreResponse | SessionScoreResponse =>
      SessionScoreResponse.from(row as SessionScoreEntity),
  },
} as const;

export type FilteredRunDto = CreateEvalRunDto | CreateSessionRunDto;
export type BatchRunDto = CreateBatchEvalRunDto | CreateBatchSessionRunDto;

/**
 * Validates, resolves and freezes runs of every target (traces, sessions), then wakes the workers;
 * one path each for create, retry, cancel, reads and deletion, the target a parameter. Never calls
 * the judge itself: every check happens before the one statement that writes the run and its ledger.
 */
@Injectable()
export class EvalRunsService {
  constructor(
    private readonly repo: EvalRunsRepository,
    private readonly sessions: SessionRunsRepository,
    private readonly scores: RunScoreStore,
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

  /** A run over the matching targets of the project, sampled at `sampling_rate` in PostgreSQL. */
  async createFiltered(projectId: string, type: TargetType, dto: FilteredRunDto): Promise<EvalRunResponse> {
    const metricNames = await this.checkMetrics(projectId, type, dto.metrics);
    const model = await this.judge.assertModelReady(dto.model ?? undefined);
    const rate = dto.sampling_rate ?? 1;
    if (rate === 0) throw zeroSamplingRate(RULES[type].noun);
    const fields = { projectId, name: dto.name ?? null, metricNames, model, ...this.runLimits(dto) };
    const sampling = { samplingRate: rate, samplingSeed: dto.sampling_seed ?? randomSeed() };
    const run = await this.withinRunQuota(projectId, () => this.selectFiltered(type, dto, { ...fields, ...sampling }));
    if (!run) throw RULES[type].noMatch();
    return this.dispatch(run);
  }

  /** A run over the targets named in the request; every one must have a trace in the project. */
  async createBatch(projectId: string, type: TargetType, dto: BatchRunDto): Promise<EvalRunResponse> {
    const metricNames = await this.checkMetrics(projectId, type, dto.metrics);
    const model = await this.judge.assertModelReady(dto.model ?? undefined);
    const ids = RULES[type].ids(dto);
    const missing = await this.repo.findMissingTargets(type, projectId, ids);
    if (missing.length > 0) throw RULES[type].unknownIds(missing);
    const run = await this.withinRunQuota(projectId, () =>
      this.repo.createBatchRun(type, {
        projectId,
        name: dto.name ?? null,
        metricNames,
        model,
        ...this.runLimits(dto),
        ids,
        samplingSeed: randomSeed(),
        storedFilters: { [runTarget(type).idsKey]: ids, ...weightsOf(dto) },
      }),
    );
    return this.dispatch(run);
  }

  async retry(projectId: string, runId: string, type: TargetType): Promise<EvalRunResponse> {
    const original = await this.getRun(projectId, runId, type);
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
  async cancel(projectId: string, runId: string, type: TargetType): Promise<EvalRunResponse> {
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

  list(projectId: string, q: ListEvalRunsQueryDto, type: TargetType): Promise<Paginated<EvalRunResponse>> {
    return this.repo
      .listRuns(projectId, q.status, q.limit, q.offset, type)
      .then((page) => ({ ...page, items: page.items.map((r) => EvalRunResponse.from(r)) }));
  }

  async get(projectId: string, runId: string, type: TargetType): Promise<EvalRunResponse> {
    return EvalRunResponse.from(await this.getRun(projectId, runId, type));
  }

  async delete(projectId: string, runId: string, deleteScores: boolean, type: TargetType): Promise<void> {
    if (!(await this.repo.deleteRun(projectId, runId, deleteScores, type))) throw evalRunNotFound(runId);
  }

  /**
   * A run's scores (a session run's: its session scores), newest first, page by page, so the
   * controller can stream a run of any size. `limit`/`offset` select a window; without `limit`
   * every score is returned. Throws 404 before the first page when the run is not in the project.
   */
  async scorePages(
    projectId: string,
    runId: string,
    window: { limit?: number; offset?: number },
    type: TargetType,
  ): Promise<AsyncIterable<Array<TraceScoreResponse | SessionScoreResponse>>> {
    await this.getRun(projectId, runId, type);
    const subject = runTarget(type).scores;
    return scorePages(window, (page) => this.scores.page(subject, projectId, runId, page), RULES[type].score);
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

  /**
   * Distinct names in first-seen order; every one must be a listed metric of the target that the
   * judge can serve: a trace run's built-in trace metrics and the project's custom metrics (the
   * worker pins their versions by the run's creation time); a session run's session metrics, whose
   * judge serves the signals, computed per trace.
   */
  private async checkMetrics(projectId: string, type: TargetType, names: string[]): Promise<string[]> {
    const { kind } = RULES[type];
    const distinct = [...new Set(names)];
    if (kind === 'session') {
      const unknown = distinct.filter((n) => !this.metrics.isKnownSessionMetric(n));
      if (unknown.length > 0) throw unknownMetrics(unknown, kind, ...this.metrics.metricNames(kind));
      this.metrics.assertJudgeable([...SESSION_SIGNALS]);
      return distinct;
    }
    const builtIn = (n: string) => this.metrics.isKnownTraceMetric(n);
    const custom = new Set(
      await this.customMetrics.known(
        projectId,
        distinct.filter((n) => !builtIn(n)),
      ),
    );
    const unknown = distinct.filter((n) => !builtIn(n) && !custom.has(n));
    if (unknown.length > 0) throw unknownMetrics(unknown, kind, ...this.metrics.metricNames(kind));
    this.metrics.assertJudgeable(distinct);
    return distinct;
  }

  /** The target's selection: a trace run's matching traces, or a session run's matching sessions. */
  private selectFiltered(
    type: TargetType,
    dto: FilteredRunDto,
    fields: NewRunFields & { samplingRate: number; samplingSeed: number },
  ): Promise<EvalRunEntity | null> {
    if (type === 'SESSION') {
      const f = (dto as CreateSessionRunDto).filters ?? {};
      return this.sessions.createFilteredRun({
        ...fields,
        filter: toSessionTraceFilter(fields.projectId, f),
        hasError: f.has_error ?? null,
        minTraceCount: f.min_trace_count ?? 1,
        storedFilters: { ...storedFilters(f, SESSION_FILTER_KEYS), ...weightsOf(dto) },
      });
    }
    const f = (dto as CreateEvalRunDto).filters ?? {};
    return this.repo.createFilteredRun({
      ...fields,
      filter: toTraceFilter(fields.projectId, f),
      storedFilters: storedFilters(f, FILTER_KEYS),
    });
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
