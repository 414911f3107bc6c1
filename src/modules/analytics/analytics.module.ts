import { Module } from '@nestjs/common';
import { RollupRefresher } from './rollup-refresher';
import { TraceAnalyticsController } from './trace-analytics.controller';
import { TraceAnalyticsRepository } from './trace-analytics.repository';
import { TraceAnalyticsService } from './trace-analytics.service';

/** Dashboard time series over traces (score analytics live with the scores, sharing time-buckets.ts). */
@Module({
  controllers: [TraceAnalyticsController],
  providers: [TraceAnalyticsRepository, TraceAnalyticsService, RollupRefresher],
})
export class AnalyticsModule {}
