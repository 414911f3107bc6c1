import { Global, Module } from '@nestjs/common';
import { EvalMetrics } from './eval-metrics.service';
import { JudgeMetrics } from './judge-metrics.service';
import { MetricsRegistry } from './metrics-registry';
import { MonitorMetrics } from './monitor-metrics';

/**
 * The metric services, for the API and the worker alike. Global: inject `EvalMetrics` or
 * `JudgeMetrics` anywhere without importing this module.
 */
@Global()
@Module({
  providers: [MetricsRegistry, EvalMetrics, JudgeMetrics, MonitorMetrics],
  exports: [MetricsRegistry, EvalMetrics, JudgeMetrics, MonitorMetrics],
})
export class ObservabilityModule {}
