import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CustomMetricsRepository } from './custom-metrics.repository';
import { CustomMetricEntity, CustomMetricVersionEntity } from './entities/custom-metric.entity';
import { CustomMetricRuns } from './runs/custom-metric-runs';

/**
 * The custom metrics' tables and the port runs and monitors use (CustomMetricRuns), for the API and
 * the worker alike. No controllers: the routes live in CustomMetricsModule.
 */
@Module({
  imports: [TypeOrmModule.forFeature([CustomMetricEntity, CustomMetricVersionEntity])],
  providers: [CustomMetricsRepository, CustomMetricRuns],
  exports: [CustomMetricsRepository, CustomMetricRuns],
})
export class CustomMetricsCoreModule {}
