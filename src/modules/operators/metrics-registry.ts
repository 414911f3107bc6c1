import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';

/** Every metric name of the service starts with this. */
export const METRIC_PREFIX = 'pandaprobe_';

/**
 * The process's Prometheus registry. One per application (not prom-client's global one), so that
 * several apps in one process, as in tests, never collide on metric names.
 */
@Injectable()
export class MetricsRegistry {
  readonly registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
