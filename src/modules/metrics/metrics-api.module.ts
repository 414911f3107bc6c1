import { Module } from '@nestjs/common';
import { JudgeController } from '../judge/judge.controller';
import { MetricsController } from './metrics.controller';
import { MetricsModule } from './metrics.module';

/**
 * HTTP routes of the judge and metrics: GET /evaluations/trace-metrics and
 * GET /evaluations/providers, behind @Auth(). Imported by the API root only: its guards need the
 * AuthModule, which the worker process does not load.
 */
@Module({
  imports: [MetricsModule],
  controllers: [MetricsController, JudgeController],
})
export class MetricsApiModule {}
