import { OrgQuotaService } from '../quotas/org-quotas.service';
import { Inject, Injectable } from '@nestjs/common';
import { Paginated } from '../../common/dto/pagination.dto';
import { RequestValidationError } from '../../common/validation/validation';
import { EvalRunResponse } from '../eval-runs/dto/eval-run-response.dto';
import { JudgeService } from '../judge/judge.service';
import { MetricsService } from '../metrics/metrics.service';
import { CustomMetricRuns } from '../custom-metrics/runs/custom-metric-runs';
import { assertCadenceLasts, CadenceError, nextSlot, parseCadence, type Cadence } from './cadence';
import { isShownCadence } from './cadence-display';
import { SESSION_SIGNALS } from '../metrics/session/session-metrics';
import { validateMonitorFilters, validateSignalWeights } from './dto/monitor-filters';
import { CreateMonitorRequest, ListMonitorsQueryDto, UpdateMonitorRequest } from './dto/monitor-requests.dto';
import { MonitorResponse } from './dto/monitor-response.dto';
import { MonitorEntity, MonitorStatus, MonitorTargetType } from './entities/monitor.entity';
import { MONITOR_CLOCK, type MonitorClock } from './monitor-clock';
import { MonitorFiring } from './monitor-firing';
import { monitorNotFound, unknownMonitorMetrics, zeroMonitorSamplingRate } from './monitors.errors';
import { MonitorsRepository } from './monitors.repository';

/** Monitor configuration (validated per target type) and its lifecycle; firing is MonitorFiring's. */
@Injectable()
export class MonitorsService {
  constructor(
    private readonly repo: MonitorsRepository,
    private readonly firing: MonitorFiring,
    private readonly metrics: MetricsService,
    private readonly judge: JudgeService,
    @Inject(MONITOR_CLOCK) private readonly clock: MonitorClock,
    private readonly quotas: OrgQuotaService,
    private readonly customMetrics: CustomMetricRuns,
  ) {}

  async create(projectId: string, dto: CreateMonitorRequest): Promise<MonitorResponse> {
    const targetType = dto.target_type;
    const cadence = cadenceOf(dto.cadence);
    const filters = validateMonitorFilters(targetType, dto.filters);
    const weights = validateSignalWeights(targetType, dto.signal_weights);
    if (weights) filters.signal_weights = weights;
    if (dto.sampling_rate === 0) throw zeroMonitorSamplingRate();
    if (dto.model) this.judge.assertModelUsable(dto.model);
    const metricNames = this.checkMetrics(
      targetType,
      dto.metrics,
      await this.customOf(projectId, targetType, dto.metrics),
    );
    const now = this.clock.now();
    const orgId = await this.quotas.orgOfProject(projectId);
    const monitor = await this.quotas.within(orgId, 'monitors', () =>
      this.repo.insert({
        projectId,
        name: dto.name,
        targetType,
        metricNames,
        filters,
        samplingRate: dto.sampling_rate ?? 1,
        model: dto.model ?? null,
        cadence: cadence.text,
        onlyIfChanged: dto.only_if_changed ?? true,
        scope: dto.scope ?? 'new',
        status: MonitorStatus.ACTIVE,
        maxJudgeCalls: dto.max_judge_calls ?? null,
        maxJudgeTokens: dto.max_judge_tokens ?? null,
        maxJudgeCallsPerDay: dto.max_judge_calls_per_day ?? null,
        maxJudgeTokensPerDay: dto.max_judge_tokens_per_day ?? null,
        scheduleAnchor: now,
        nextRunAt: nextSlot(cadence, now, now),
      }),
    );
    return MonitorResponse.from(monitor);
  }

  async list(projectId: string, q: ListMonitorsQueryDto): Promise<Paginated<MonitorResponse>> {
    const page = await this.repo.list(projectId, q.status, q.limit, q.offset);
    const totals = await this.repo.totals(
      projectId,
      page.items.map((m) => m.id),
    );
    return { ...page, items: page.items.map((m) => MonitorResponse.from(m, totals.get(m.id))) };
  }

  async get(projectId: string, id: string): Promise<MonitorResponse> {
    const monitor = await this.repo.find(projectId, id);
    if (!monitor) throw monitorNotFound(id);
    return this.respond(monitor);
  }

  /** Of `names`, the project's custom metrics (TRACE monitors only; each run pins the versions current at its creation). */
  private async customOf(projectId: string, targetType: string, names: string[]): Promise<Set<string>> {
    if (targetType !== 'TRACE') return new Set();
    const builtIn = names.filter((n) => !this.metrics.isKnownTraceMetric(n));
    return new Set(await this.customMetrics.known(projectId, [...new Set(builtIn)]));
  }

  /**
   * PATCH as the original: only the keys sent change; filters are replaced but keep signal_weights
   * unless those are sent; a cadence change recomputes next_run_at (from now) and the slot grid.
   * null for a field that cannot be empty (name, metrics, cadence, sampling_rate, only_if_changed,
   * scope) leaves it unchanged; null model or budgets clear them.
   */
  async update(projectId: string, id: string, dto: UpdateMonitorRequest): Promise<MonitorResponse> {
    const now = this.clock.now();
    // Custom metrics are looked up before the monitor's row is locked (the change itself is synchronous).
    const custom = dto.metrics != null ? await this.customOf(projectId, 'TRACE', dto.metrics) : new Set<string>();
    const updated = await this.repo.modify(projectId, id, (m) => {
      const patch: Partial<MonitorEntity> = {};
      const tt = m.targetType;
      if (dto.name != null) patch.name = dto.name;
      if (dto.metrics != null)
        patch.metricNames = this.checkMetrics(tt, dto.metrics, tt === 'TRACE' ? custom : new Set());
      if (dto.filters !== undefined || dto.signal_weights !== undefined) {
        const filters = dto.filters !== undefined ? validateMonitorFilters(tt, dto.filters) : stripWeights(m.filters);
        const weights =
          dto.signal_weights !== undefined
            ? validateSignalWeights(tt, dto.signal_weights)
            : (m.filters.signal_weights as Record<string, number> | undefined);
        if (weights) filters.signal_weights = weights;
        patch.filters = filters;
      }
      if (dto.sampling_rate === 0) throw zeroMonitorSamplingRate();
      if (dto.sampling_rate != null) patch.samplingRate = dto.sampling_rate;
      if (dto.model !== undefined) {
        if (dto.model) this.judge.assertModelUsable(dto.model);
        patch.model = dto.model;
      }
      const cadence = dto.cadence != null ? cadenceOf(dto.cadence) : null;
      // The form a client was shown (cron: for our intervals) sent back unchanged keeps the cadence.
      if (cadence && !isShownCadence(cadence, m.cadence, m.scheduleAnchor)) {
        patch.cadence = cadence.text;
        patch.scheduleAnchor = now;
        patch.nextRunAt = m.status === MonitorStatus.ACTIVE ? nextSlot(cadence, now, now) : null;
      }
      if (dto.only_if_changed != null) patch.onlyIfChanged = dto.only_if_changed;
      if (dto.scope != null) patch.scope = dto.scope;
      if (dto.max_judge_calls !== undefined) patch.maxJudgeCalls = dto.max_judge_calls;
      if (dto.max_judge_tokens !== undefined) patch.maxJudgeTokens = dto.max_judge_tokens;
      if (dto.max_judge_calls_per_day !== undefined) patch.maxJudgeCallsPerDay = dto.max_judge_calls_per_day;
      if (dto.max_judge_tokens_per_day !== undefined) patch.maxJudgeTokensPerDay = dto.max_judge_tokens_per_day;
      return patch;
    });
    if (!updated) throw monitorNotFound(id);
    return this.respond(updated);
  }

  async delete(projectId: string, id: string): Promise<void> {
    if (!(await this.repo.delete(projectId, id))) throw monitorNotFound(id);
  }

  /** PAUSED, next_run_at null. Idempotent. */
  async pause(projectId: string, id: string): Promise<MonitorResponse> {
    const m = await this.repo.modify(projectId, id, (m) =>
      m.status === MonitorStatus.PAUSED ? null : { status: MonitorStatus.PAUSED, nextRunAt: null },
    );
    if (!m) throw monitorNotFound(id);
    return this.respond(m);
  }

  /** ACTIVE, next_run_at the first slot after now (missed slots are not fired). Idempotent. */
  async resume(projectId: string, id: string): Promise<MonitorResponse> {
    const now = this.clock.now();
    const m = await this.repo.modify(projectId, id, (m) =>
      m.status === MonitorStatus.ACTIVE
        ? null
        : { status: MonitorStatus.ACTIVE, nextRunAt: nextSlot(parseCadence(m.cadence), m.scheduleAnchor, now) },
    );
    if (!m) throw monitorNotFound(id);
    return this.respond(m);
  }

  async trigger(projectId: string, id: string): Promise<EvalRunResponse> {
    return EvalRunResponse.from(await this.firing.trigger(projectId, id, this.clock.now()));
  }

  async runs(projectId: string, id: string, limit: number, offset: number): Promise<Paginated<EvalRunResponse>> {
    if (!(await this.repo.find(projectId, id))) throw monitorNotFound(id);
    const page = await this.repo.listRuns(projectId, id, limit, offset);
    return { ...page, items: page.items.map((r) => EvalRunResponse.from(r)) };
  }

  private async respond(m: MonitorEntity): Promise<MonitorResponse> {
    const totals = await this.repo.totals(m.projectId, [m.id]);
    return MonitorResponse.from(m, totals.get(m.id));
  }

  /**
   * Distinct names, each known to the target type's registry, and judgeable: the metrics
   * themselves for traces, the trace signals they aggregate for sessions (as session runs check).
   */
  private checkMetrics(targetType: MonitorTargetType, names: string[], custom: Set<string>): string[] {
    const distinct = [...new Set(names)];
    const known =
      targetType === 'TRACE'
        ? (n: string) => this.metrics.isKnownTraceMetric(n) || custom.has(n)
        : (n: string) => this.metrics.isKnownSessionMetric(n);
    const unknown = distinct.filter((n) => !known(n));
    if (unknown.length > 0) throw unknownMonitorMetrics(targetType, unknown);
    this.metrics.assertJudgeable(targetType === 'TRACE' ? distinct : [...SESSION_SIGNALS]);
    return distinct;
  }
}

function cadenceOf(raw: string): Cadence {
  try {
    const cadence = parseCadence(raw);
    assertCadenceLasts(cadence, new Date());
    return cadence;
  } catch (error) {
    if (error instanceof CadenceError) throw new RequestValidationError([{ field: 'cadence', message: error.message }]);
    throw error;
  }
}

function stripWeights(filters: Record<string, unknown>): Record<string, unknown> {
  const { signal_weights: _weights, ...rest } = filters;
  return rest;
}
