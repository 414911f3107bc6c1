import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { Paginated } from '../../common/dto/pagination.dto';
import type { CheckedDefinition } from './definition-rules';
import { CustomMetricEntity, CustomMetricVersionEntity } from './entities/custom-metric.entity';

export interface MetricWithVersion {
  metric: CustomMetricEntity;
  version: CustomMetricVersionEntity;
}

/** The custom metric tables, read and written through TypeORM; every statement scoped by project. */
@Injectable()
export class CustomMetricsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** The metric row of a name, deleted or not, locked for the rest of the transaction. */
  lockByName(tx: EntityManager, projectId: string, name: string): Promise<CustomMetricEntity | null> {
    return tx.findOne(CustomMetricEntity, { where: { projectId, name }, lock: { mode: 'pessimistic_write' } });
  }

  async insertVersion(
    tx: EntityManager,
    metric: CustomMetricEntity,
    d: CheckedDefinition,
  ): Promise<CustomMetricVersionEntity> {
    return tx.save(
      tx.create(CustomMetricVersionEntity, {
        metricId: metric.id,
        projectId: metric.projectId,
        version: metric.latestVersion,
        promptTemplate: d.promptTemplate,
        outputType: d.outputType,
        labels: d.labels,
        successLabels: d.successLabels,
        threshold: d.threshold,
        model: d.model,
        examples: d.examples,
      }),
    );
  }

  async findLive(projectId: string, name: string, version?: number): Promise<MetricWithVersion | null> {
    const metric = await this.db.manager.findOne(CustomMetricEntity, {
      where: { projectId, name, deletedAt: IsNull() },
    });
    if (!metric) return null;
    const found = await this.db.manager.findOne(CustomMetricVersionEntity, {
      where: { metricId: metric.id, projectId, version: version ?? metric.latestVersion },
    });
    return found ? { metric, version: found } : null;
  }

  /** Names and descriptions of the project's live metrics, by name. */
  liveNames(projectId: string): Promise<Pick<CustomMetricEntity, 'name' | 'description'>[]> {
    return this.db.manager.find(CustomMetricEntity, {
      select: { name: true, description: true },
      where: { projectId, deletedAt: IsNull() },
      order: { name: 'ASC' },
    });
  }

  /** The live metrics of these names with their latest versions. */
  async liveWithLatest(projectId: string, names: string[]): Promise<MetricWithVersion[]> {
    if (names.length === 0) return [];
    const rows = await this.db.manager
      .createQueryBuilder(CustomMetricVersionEntity, 'v')
      .innerJoinAndMapOne('v.metric', CustomMetricEntity, 'm', 'm.id = v.metric_id AND m.latest_version = v.version')
      .where('m.project_id = :projectId AND m.name IN (:...names) AND m.deleted_at IS NULL', { projectId, names })
      .getMany();
    return rows.map((v) => ({
      metric: (v as CustomMetricVersionEntity & { metric: CustomMetricEntity }).metric,
      version: v,
    }));
  }

  /**
   * Each name's newest version saved at or before `at` (a run's creation time), deleted metrics
   * included: a run keeps judging with what was current when it was created.
   */
  async versionsAt(projectId: string, names: string[], at: Date): Promise<MetricWithVersion[]> {
    if (names.length === 0) return [];
    const rows = await this.db.manager
      .createQueryBuilder(CustomMetricVersionEntity, 'v')
      .innerJoinAndMapOne('v.metric', CustomMetricEntity, 'm', 'm.id = v.metric_id')
      .where('m.project_id = :projectId AND m.name IN (:...names) AND v.created_at <= :at', { projectId, names, at })
      .distinctOn(['m.name'])
      .orderBy('m.name')
      .addOrderBy('v.version', 'DESC')
      .getMany();
    return rows.map((v) => ({
      metric: (v as CustomMetricVersionEntity & { metric: CustomMetricEntity }).metric,
      version: v,
    }));
  }

  async list(projectId: string, page: { limit: number; offset: number }): Promise<Paginated<MetricWithVersion>> {
    const [metrics, total] = await this.db.manager.findAndCount(CustomMetricEntity, {
      where: { projectId, deletedAt: IsNull() },
      order: { name: 'ASC' },
      take: page.limit,
      skip: page.offset,
    });
    const versions = metrics.length
      ? await this.db.manager
          .createQueryBuilder(CustomMetricVersionEntity, 'v')
          .innerJoin(CustomMetricEntity, 'm', 'm.id = v.metric_id AND m.latest_version = v.version')
          .where('v.project_id = :projectId AND v.metric_id IN (:...ids)', { projectId, ids: metrics.map((m) => m.id) })
          .getMany()
      : [];
    const byMetric = new Map(versions.map((v) => [v.metricId, v]));
    return { items: metrics.map((metric) => ({ metric, version: byMetric.get(metric.id)! })), total, ...page };
  }

  async listVersions(
    metric: CustomMetricEntity,
    page: { limit: number; offset: number },
  ): Promise<Paginated<CustomMetricVersionEntity>> {
    const [items, total] = await this.db.manager.findAndCount(CustomMetricVersionEntity, {
      where: { metricId: metric.id, projectId: metric.projectId },
      order: { version: 'DESC' },
      take: page.limit,
      skip: page.offset,
    });
    return { items, total, ...page };
  }
}
