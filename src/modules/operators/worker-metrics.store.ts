import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bull';
import { hostname } from 'node:os';
import { AggregatorRegistry, MetricObjectWithValues, MetricValue } from 'prom-client';
import { APP_CONFIG } from '../../config/config.module';
import { AppConfig } from '../../config/env';
import { EVAL_RUNS_QUEUE } from '../../queue/queue.constants';
import { METRIC_PREFIX, MetricsRegistry } from './metrics-registry';

type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** Only the work counters travel: process metrics describe the process that serves the scrape. */
const SHARED_METRICS = [`${METRIC_PREFIX}eval_`, `${METRIC_PREFIX}judge_`];
const PUBLISH_INTERVAL_MS = 5_000;
const SNAPSHOT_TTL_SECONDS = 60;

/**
 * Worker processes have no HTTP port, so each one publishes a snapshot of its eval and judge
 * counters to Redis every few seconds (expiring after a minute); the API's /metrics adds them to
 * its own. Uses the eval-run queue's Redis connection.
 */
@Injectable()
export class WorkerMetricsStore {
  private readonly pattern: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectQueue(EVAL_RUNS_QUEUE) private readonly queue: Queue,
  ) {
    this.pattern = `${config.redis.queuePrefix}:metrics:worker:`;
  }

  keyFor(workerId: string): string {
    return `${this.pattern}${workerId}`;
  }

  async publish(workerId: string, metrics: MetricsJson): Promise<void> {
    const shared = metrics.filter((m) => SHARED_METRICS.some((p) => m.name.startsWith(p)));
    await this.queue.client.set(this.keyFor(workerId), JSON.stringify(shared), 'EX', SNAPSHOT_TTL_SECONDS);
  }

  async remove(workerId: string): Promise<void> {
    await this.queue.client.del(this.keyFor(workerId));
  }

  /** Every live worker's snapshot. */
  async readAll(): Promise<MetricsJson[]> {
    const keys = await this.keys();
    if (keys.length === 0) return [];
    const values = await this.queue.client.mget(...keys);
    return values.flatMap((v) => {
      if (!v) return [];
      try {
        return [JSON.parse(v) as MetricsJson];
      } catch {
        return [];
      }
    });
  }

  /** Drops every snapshot (tests: when no worker of this prefix is alive). */
  async removeAll(): Promise<void> {
    const keys = await this.keys();
    if (keys.length) await this.queue.client.del(...keys);
  }

  private async keys(): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.queue.client.scan(cursor, 'MATCH', `${this.pattern}*`, 'COUNT', 100);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0' && keys.length < 10_000);
    return keys;
  }

  /** The registry's exposition text, with the workers' counters summed in. */
  async exposition(own: MetricsRegistry): Promise<{ contentType: string; body: string }> {
    const contentType = own.registry.contentType;
    const workers = await this.readAll().catch(() => []);
    if (workers.length === 0) return { contentType, body: await own.registry.metrics() };
    const merged = AggregatorRegistry.aggregate([await own.registry.getMetricsAsJSON(), ...workers]);
    return { contentType, body: await merged.metrics() };
  }
}

/** In a worker process: publishes the snapshot periodically and removes it on shutdown. */
@Injectable()
export class WorkerMetricsPublisher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerMetricsPublisher.name);
  private readonly workerId = `${hostname()}:${process.pid}`;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** Snapshots are written one after another; shutdown waits for the last before removing it. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: WorkerMetricsStore,
    private readonly metrics: MetricsRegistry,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.publish(), PUBLISH_INTERVAL_MS);
    this.timer.unref();
    void this.publish();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    // A snapshot still being written would otherwise land after the removal and count this
    // process's work twice for a minute (once in it, once in whoever takes over).
    await this.writing;
    await this.store.remove(this.workerId).catch(() => undefined);
  }

  publish(): Promise<void> {
    if (!this.stopped) this.writing = this.writing.then(() => this.write());
    return this.writing;
  }

  private async write(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.store.publish(this.workerId, await this.metrics.registry.getMetricsAsJSON());
    } catch (err) {
      this.logger.warn({ err }, 'Could not publish worker metrics');
    }
  }
}
