import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../../config/config.module';
import type { AppConfig } from '../../config/env';
import { Paginated } from '../../common/dto/pagination.dto';
import { conflict, notFound } from '../../common/errors/domain.error';
import { RequestValidationError } from '../../common/validation/validation';
import type { ProjectContext } from '../auth/types/project-context';
import { MetricRegistry } from '../metrics/metric-registry';
import { SESSION_METRICS } from '../metrics/session/session-metrics';
import {
  checkDefinition,
  sameJudging,
  storedDefinition,
  type CheckedDefinition,
  type DefinitionInput,
} from './definition-rules';
import {
  CreateCustomMetricRequest,
  CustomMetricResponse,
  CustomMetricVersionResponse,
  UpdateCustomMetricRequest,
} from './dto/custom-metric.dto';
import { CustomMetricEntity, CustomMetricVersionEntity } from './entities/custom-metric.entity';
import { CustomMetricsRepository, type MetricWithVersion } from './custom-metrics.repository';
import { JudgeService } from '../judge/judge.service';

export const customMetricNotFound = (name: string, version?: number) =>
  notFound(version ? `Custom metric ${name} has no version ${version}.` : `Custom metric ${name} not found.`);

/** CRUD of a project's custom metrics; every change to what the judge sees or answers is a new version. */
@Injectable()
export class CustomMetricsService {
  constructor(
    private readonly repo: CustomMetricsRepository,
    private readonly registry: MetricRegistry,
    private readonly judge: JudgeService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Checks a definition (422 naming every problem) and its judge model (422 when not configured). */
  check(d: DefinitionInput): CheckedDefinition {
    const { errors, value } = checkDefinition(d);
    if (!value) throw new RequestValidationError(errors);
    if (value.model) value.model = this.judge.assertModelUsable(value.model);
    return value;
  }

  async create(ctx: ProjectContext, dto: CreateCustomMetricRequest): Promise<CustomMetricResponse> {
    if (this.registry.get(dto.name) || SESSION_METRICS.some((m) => m.name === dto.name)) {
      throw new RequestValidationError([
        { field: 'name', message: `${dto.name} is a built-in metric; choose another name for a custom metric` },
      ]);
    }
    const definition = this.check(dto);
    const saved = await this.repo.transaction(async (tx) => {
      const existing = await this.repo.lockByName(tx, ctx.projectId, dto.name);
      if (existing && !existing.deletedAt) {
        throw conflict(`Custom metric ${dto.name} already exists: PATCH it to make a new version.`);
      }
      // A deleted name comes back with the next version number, so old scores never match the new rubric.
      const metric = tx.merge(CustomMetricEntity, existing ?? tx.create(CustomMetricEntity), {
        projectId: ctx.projectId,
        name: dto.name,
        description: dto.description ?? '',
        latestVersion: (existing?.latestVersion ?? 0) + 1,
        deletedAt: null,
      });
      await tx.save(metric);
      return { metric, version: await this.repo.insertVersion(tx, metric, definition) };
    });
    return toResponse(saved);
  }

  async list(ctx: ProjectContext, page: { limit: number; offset: number }): Promise<Paginated<CustomMetricResponse>> {
    const found = await this.repo.list(ctx.projectId, page);
    return { ...found, items: found.items.map(toResponse) };
  }

  /** Every live custom metric of the project, by name, as the trace-metrics catalogue lists it. */
  async catalog(ctx: ProjectContext): Promise<{ name: string; description: string; category: 'custom' }[]> {
    const metrics = await this.repo.liveNames(ctx.projectId);
    return metrics.map((m) => ({ name: m.name, description: m.description, category: 'custom' as const }));
  }

  async get(ctx: ProjectContext, name: string, version?: number): Promise<MetricWithVersion> {
    const found = await this.repo.findLive(ctx.projectId, name, version);
    if (!found) throw customMetricNotFound(name, (await this.repo.findLive(ctx.projectId, name)) ? version : undefined);
    return found;
  }

  async getResponse(ctx: ProjectContext, name: string): Promise<CustomMetricResponse> {
    return toResponse(await this.get(ctx, name));
  }

  async version(ctx: ProjectContext, name: string, version: number): Promise<CustomMetricVersionResponse> {
    const found = await this.get(ctx, name, version);
    return toVersionResponse(found.metric, found.version);
  }

  async versions(
    ctx: ProjectContext,
    name: string,
    page: { limit: number; offset: number },
  ): Promise<Paginated<CustomMetricVersionResponse>> {
    const { metric } = await this.get(ctx, name);
    const found = await this.repo.listVersions(metric, page);
    return { ...found, items: found.items.map((v) => toVersionResponse(metric, v)) };
  }

  /**
   * Applies a change. Fields not sent keep their value, except that a new output_type drops the
   * labels, success labels and threshold of the old one unless they are sent again.
   */
  async update(ctx: ProjectContext, name: string, dto: UpdateCustomMetricRequest): Promise<CustomMetricResponse> {
    const saved = await this.repo.transaction(async (tx) => {
      const metric = await this.repo.lockByName(tx, ctx.projectId, name);
      if (!metric || metric.deletedAt) throw customMetricNotFound(name);
      const current = await tx.findOneByOrFail(CustomMetricVersionEntity, {
        metricId: metric.id,
        version: metric.latestVersion,
      });
      const { description, ...changes } = dto;
      const typeChanged = changes.output_type !== undefined && changes.output_type !== current.outputType;
      const next = this.check({
        ...definitionOf(current),
        ...(typeChanged ? { labels: null, success_labels: null, threshold: null } : {}),
        ...withoutUndefined(changes),
      });
      if (description !== undefined) metric.description = description;
      let version = current;
      if (!sameJudging(storedDefinition(current), next)) {
        metric.latestVersion += 1;
        await tx.save(metric);
        version = await this.repo.insertVersion(tx, metric, next);
      } else if (description !== undefined) {
        await tx.save(metric);
      }
      return { metric, version };
    });
    return toResponse(saved);
  }

  async remove(ctx: ProjectContext, name: string): Promise<void> {
    await this.repo.transaction(async (tx) => {
      const metric = await this.repo.lockByName(tx, ctx.projectId, name);
      if (!metric || metric.deletedAt) throw customMetricNotFound(name);
      metric.deletedAt = new Date();
      await tx.save(metric);
    });
  }

  renderBudget() {
    return this.config.judge.render;
  }
}

export function definitionOf(v: CustomMetricVersionEntity): DefinitionInput {
  return {
    prompt_template: v.promptTemplate,
    output_type: v.outputType,
    labels: v.labels,
    success_labels: v.successLabels,
    threshold: v.threshold,
    model: v.model,
    examples: v.examples,
  };
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function toVersionResponse(metric: CustomMetricEntity, v: CustomMetricVersionEntity): CustomMetricVersionResponse {
  const d = definitionOf(v) as Required<DefinitionInput>;
  return { name: metric.name, version: v.version, ...d, examples: v.examples, created_at: v.createdAt.toISOString() };
}

function toResponse({ metric, version }: MetricWithVersion): CustomMetricResponse {
  return {
    id: metric.id,
    ...toVersionResponse(metric, version),
    description: metric.description,
    category: 'custom',
    updated_at: metric.updatedAt.toISOString(),
  };
}
