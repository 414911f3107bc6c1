import { Module } from '@nestjs/common';
import { JudgeModule } from '../judge/judge.module';
import { MetricRegistry } from './metric-registry';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

/** The metric registry and MetricsService (evaluateTrace, listTraceMetrics, buildTemplate). */
@Module({
  imports: [JudgeModule],
  controllers: [MetricsController],
  providers: [{ provide: MetricRegistry, useFactory: () => new MetricRegistry() }, MetricsService],
  exports: [MetricsService, MetricRegistry, JudgeModule],
})
export class MetricsModule {}
