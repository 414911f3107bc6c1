import { Get, Query } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, getSchemaPath } from '@nestjs/swagger';
import { ProjectId } from '../auth/decorators/current-project.decorator';
import { ProjectController } from '../auth/decorators/controller.decorator';
import { TraceAnalyticsQuery } from './dto/analytics-query.dto';
import {
  AnalyticsBucketDto,
  TokenCostBucketDto,
  TopModelDto,
  TraceAnalyticsResponse,
} from './dto/trace-analytics-response.dto';
import { TraceAnalyticsService } from './trace-analytics.service';

const arrayOf = (model: new () => unknown) => ({ type: 'array', items: { $ref: getSchemaPath(model) } });

/**
 * Lives in its own module, registered before TracesModule (see AppModule): `/traces/analytics` must be
 * matched before `/traces/{trace_id}`.
 */
@ProjectController('traces', 'traces')
export class TraceAnalyticsController {
  constructor(private readonly analytics: TraceAnalyticsService) {}

  @Get('analytics')
  @ApiOperation({
    summary: 'Time series of the project’s traces',
    description:
      'volume, errors and latency answer AnalyticsBucket rows, cost and tokens TokenCostBucket rows, one per ' +
      'bucket of [started_after, started_before) with empty buckets as zeros; models answers the span models of ' +
      'the window, most called first. Traces are placed by started_at. More than 10,000 buckets is a 422.',
  })
  @ApiExtraModels(AnalyticsBucketDto, TokenCostBucketDto, TopModelDto)
  @ApiOkResponse({
    schema: { anyOf: [arrayOf(AnalyticsBucketDto), arrayOf(TokenCostBucketDto), arrayOf(TopModelDto)] },
  })
  traces(@ProjectId() projectId: string, @Query() query: TraceAnalyticsQuery): Promise<TraceAnalyticsResponse> {
    return this.analytics.traces(projectId, query);
  }
}
