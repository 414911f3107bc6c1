import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MetricsModule } from '../metrics/metrics.module';
import { TracesModule } from '../traces/traces.module';
import { CustomMetricPreviewService } from './custom-metric-preview.service';
import { CustomMetricsController } from './custom-metrics.controller';
import { CustomMetricsRepository } from './custom-metrics.repository';
import { CustomMetricsService } from './custom-metrics.service';
import { CustomMetricEntity, CustomMetricVersionEntity } from './entities/custom-metric.entity';
import { TraceMetricsController } from './trace-metrics.controller';

/**
 * A project's own LLM-judged metrics: definitions, immutable versions, templates and previews.
 * Owns custom_metrics and custom_metric_versions; reads traces through TracesService only.
 */
@Module({
  imports: [TypeOrmModule.forFeature([CustomMetricEntity, CustomMetricVersionEntity]), MetricsModule, TracesModule],
  controllers: [CustomMetricsController, TraceMetricsController],
  providers: [CustomMetricsRepository, CustomMetricsService, CustomMetricPreviewService],
  exports: [CustomMetricsService],
})
export class CustomMetricsModule {}
