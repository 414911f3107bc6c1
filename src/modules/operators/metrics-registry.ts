import { Injectable } from '@nestjs/common';
import {
  collectDefaultMetrics,
  Counter,
  type CounterConfiguration,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  type LabelValues,
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

/**
 * Observes a duration measured in milliseconds in a `*_seconds` histogram: Prometheus' unit is the
 * second; a non-finite duration is dropped and a negative one (a clock step) counts as 0.
 */
export function observeMs<L extends string>(histogram: Histogram<L>, labels: LabelValues<L>, ms: number): void {
  if (Number.isFinite(ms)) histogram.observe(labels, Math.max(0, ms) / 1000);
}
