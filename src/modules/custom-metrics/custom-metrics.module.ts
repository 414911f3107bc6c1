import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module';
import { TracesModule } from '../traces/traces.module';
import { CustomMetricPreviewService } from './custom-metric-preview.service';
import { CustomMetricsController } from './custom-metrics.controller';
import { CustomMetricsCoreModule } from './custom-metrics-core.module';
import { CustomMetricsService } from './custom-metrics.service';
import { TraceMetricsController } from './trace-metrics.controller';

/**
 * A project's own LLM-judged metrics: definitions, immutable versions, templates and previews.
 * Owns custom_metrics and custom_metric_versions; reads traces through TracesService only.
 */
@Module({
  imports: [CustomMetricsCoreModule, MetricsModule, TracesModule],
  controllers: [CustomMetricsController, TraceMetricsController],
  providers: [CustomMetricsService, CustomMetricPreviewService],
  exports: [CustomMetricsService],
})
export class CustomMetricsModule {}
