import { Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ProjectController } from '../auth/decorators/controller.decorator';
import { SessionMetricDto } from './dto/session-metric.dto';
import { MetricsService } from './metrics.service';

/** GET /evaluations/trace-metrics, which lists custom metrics too, lives in custom-metrics (TraceMetricsController). */
@ProjectController('evaluations', 'evaluations')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get('session-metrics')
  @ApiOperation({
    summary: 'The session metrics a session run can use',
    description: 'Pure aggregations of per-trace signals (confidence, coherence, loop_detection, tool_correctness).',
  })
  @ApiOkResponse({ type: SessionMetricDto, isArray: true })
  listSessionMetrics(): SessionMetricDto[] {
    return this.metrics.listSessionMetrics();
  }
}
