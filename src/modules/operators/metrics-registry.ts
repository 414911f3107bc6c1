import { Injectable } from '@nestjs/common';
import {
  collectDefaultMetrics,
  Counter,
  type CounterConfiguration,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  Registry,
} from 'prom-client';

/** Every metric name of the service starts with this. */
export const METRIC_PREFIX = 'pandaprobe_';

/** A metric's configuration with its name after the prefix; the registry is the application's. */
type Declared<C> = Omit<C, 'registers'>;

/**
 * The process's Prometheus registry. One per application (not prom-client's global one), so that
 * several apps in one process, as in tests, never collide on metric names. Metrics are declared
 * through it, so each one is prefixed and registered here.
 */
@Injectable()
export class MetricsRegistry {
  readonly registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  counter<L extends string>(config: Declared<CounterConfiguration<L>>): Counter<L> {
    return new Counter({ ...config, name: METRIC_PREFIX + config.name, registers: [this.registry] });
  }

  histogram<L extends string>(config: Declared<HistogramConfiguration<L>>): Histogram<L> {
    return new Histogram({ ...config, name: METRIC_PREFIX + config.name, registers: [this.registry] });
  }

  gauge<L extends string>(config: Declared<GaugeConfiguration<L>>): Gauge<L> {
    return new Gauge({ ...config, name: METRIC_PREFIX + config.name, registers: [this.registry] });
  }
}
