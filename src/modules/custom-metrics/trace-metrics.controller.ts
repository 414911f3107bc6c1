import { Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { CurrentProject } from '../auth/decorators/current-project.decorator';
import { ProjectController } from '../auth/decorators/controller.decorator';
import { ProjectContext } from '../auth/types/project-context';
import { TraceMetricDto } from '../metrics/dto/trace-metric.dto';
import { MetricsService } from '../metrics/metrics.service';
import { CustomMetricsService } from './custom-metrics.service';

/**
 * GET /evaluations/trace-metrics: the built-in trace metrics, then the project's custom metrics
 * (category `custom`), so the dashboard's metric pickers offer both. Here rather than in metrics
 * because custom metrics build on metrics, never the other way round.
 */
@ProjectController('evaluations', 'evaluations')
export class TraceMetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly custom: CustomMetricsService,
  ) {}

  @Get('trace-metrics')
  @ApiOperation({
    // The id it had when MetricsController served it: generated clients keep their method name.
    operationId: 'Metrics_listTraceMetrics',
    summary: 'The trace metrics an eval run can use',
    description:
      "The built-in metrics (category `trace`) by name, then the project's custom metrics (category `custom`) by name.",
  })
  @ApiOkResponse({ type: TraceMetricDto, isArray: true })
  async listTraceMetrics(@CurrentProject() ctx: ProjectContext): Promise<TraceMetricDto[]> {
    return [...this.metrics.listTraceMetrics(), ...(await this.custom.catalog(ctx))];
  }
}
