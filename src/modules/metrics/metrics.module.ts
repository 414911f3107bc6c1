import { Module } from '@nestjs/common';
import { JudgeModule } from '../judge/judge.module';
import { MetricRegistry } from './metric-registry';
import { MetricsService } from './metrics.service';

/**
 * The metric registry and MetricsService (evaluateTrace, listTraceMetrics, buildTemplate), for the
 * API and the worker alike. No controllers: the HTTP routes live in MetricsApiModule.
 */
@Module({
  imports: [JudgeModule],
  providers: [{ provide: MetricRegistry, useFactory: () => new MetricRegistry() }, MetricsService],
  exports: [MetricsService, MetricRegistry, JudgeModule],
})
export class MetricsModule {}
