import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../../../config/config.module';
import type { AppConfig } from '../../../config/env';
import type { MetricDefinition } from '../../metrics/metric-definition';
import { CustomMetricsRepository, type MetricWithVersion } from '../custom-metrics.repository';
import { definitionOf } from '../custom-metrics.service';
import { checkDefinition } from '../definition-rules';
import { customMetricDefinition } from './custom-metric-definition';

/** Definitions kept per stored version (versions never change): enough for every active run. */
const CACHE_SIZE = 1000;

/**
 * The port eval runs and monitors use for custom metrics: which names a project's runs may use,
 * and, for a run, the version of each that was current when the run was created (its pin) as a
 * MetricDefinition the metric evaluation runs like a built-in one.
 */
@Injectable()
export class CustomMetricRuns {
  private readonly cache = new Map<string, MetricDefinition>();

  constructor(
    private readonly repo: CustomMetricsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Of `names`, those that are live custom metrics of the project. */
  async known(projectId: string, names: string[]): Promise<string[]> {
    const found = await this.repo.liveWithLatest(projectId, names);
    return found.map((f) => f.metric.name);
  }

  /** The definitions a run created at `createdAt` judges with: each name's version current then. */
  async forRun(projectId: string, names: string[], createdAt: Date): Promise<Map<string, MetricDefinition>> {
    const pinned = await this.repo.versionsAt(projectId, names, createdAt);
    return new Map(pinned.map((p) => [p.metric.name, this.definition(p)]));
  }

  private definition(p: MetricWithVersion): MetricDefinition {
    const cached = this.cache.get(p.version.id);
    if (cached) return cached;
    const def = customMetricDefinition(
      {
        name: p.metric.name,
        description: p.metric.description,
        version: p.version.version,
        definition: this.checked(p),
      },
      this.config.judge.render,
    );
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(p.version.id, def);
    return def;
  }

  /** A stored version passed these checks when it was saved; parsing again rebuilds its template parts. */
  private checked(p: MetricWithVersion) {
    return checkDefinition(definitionOf(p.version)).value!;
  }
}
