import { Injectable } from '@nestjs/common';
import { TraceAnalyticsQuery } from './dto/analytics-query.dto';
import { TraceAnalyticsResponse } from './dto/trace-analytics-response.dto';
import { BucketWindow, checkWindow, DEFAULT_TIME_ZONE } from './time-buckets';
import { TraceAnalyticsRepository } from './trace-analytics.repository';

/** GET /traces/analytics: one time series (or the model ranking) per request, scoped to the project. */
@Injectable()
export class TraceAnalyticsService {
  constructor(private readonly repo: TraceAnalyticsRepository) {}

  async traces(projectId: string, q: TraceAnalyticsQuery): Promise<TraceAnalyticsResponse> {
    const metric = q.metric ?? 'volume';
    const window: BucketWindow = {
      granularity: q.granularity ?? 'day',
      from: q.started_after,
      to: q.started_before,
      tz: q.tz ?? DEFAULT_TIME_ZONE,
    };
    // The model ranking is not bucketed, so only the order of the bounds matters there.
    checkWindow(metric === 'models' ? { ...window, granularity: 'week' } : window, {
      from: 'started_after',
      to: 'started_before',
    });
    switch (metric) {
      case 'volume':
      case 'errors':
        return this.repo.traceCounts(projectId, window, false);
      case 'latency':
        return this.repo.traceCounts(projectId, window, true);
      case 'cost':
      case 'tokens':
        return this.repo.tokensAndCost(projectId, window);
      case 'models':
        return this.repo.models(projectId, window.from, window.to);
    }
  }
}
