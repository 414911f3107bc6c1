import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/decorators/auth.decorator';
import { TraceMetricDto } from './dto/trace-metric.dto';
import { MetricsService } from './metrics.service';

@ApiTags('evaluations')
@Auth()
@Controller('evaluations')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get('trace-metrics')
  @ApiOperation({ summary: 'The trace metrics an eval run can use' })
  @ApiOkResponse({ type: TraceMetricDto, isArray: true })
  listTraceMetrics(): TraceMetricDto[] {
    return this.metrics.listTraceMetrics();
  }
}
