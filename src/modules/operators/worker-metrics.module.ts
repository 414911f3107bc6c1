import { Module } from '@nestjs/common';
import { ObservabilityModule } from './observability.module';
import { WorkerMetricsPublisher, WorkerMetricsStore } from './worker-metrics.store';

/** For the worker process: the metric services plus the publisher that hands them to the API's /metrics. */
@Module({
  imports: [ObservabilityModule],
  providers: [WorkerMetricsStore, WorkerMetricsPublisher],
})
export class WorkerMetricsModule {}
