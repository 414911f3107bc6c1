import { Body, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { Paginated, PaginationQueryDto } from '../../common/dto/pagination.dto';
import { Answers } from '../../common/http/route.decorators';
import { RateLimit } from '../auth/decorators/auth.decorator';
import { ProjectController } from '../auth/decorators/controller.decorator';
import { ProjectId } from '../auth/decorators/current-project.decorator';
import { EvalRunResponse } from '../eval-runs/dto/eval-run-response.dto';
import {
  CreateMonitorRequest,
  ListMonitorsQueryDto,
  MonitorIdParams,
  UpdateMonitorRequest,
} from './dto/monitor-requests.dto';
import { MonitorResponse } from './dto/monitor-response.dto';
import { MonitorsService } from './monitors.service';

@ProjectController('evaluations', 'evaluations/monitors')
export class MonitorsController {
  constructor(private readonly monitors: MonitorsService) {}

  @Post()
  @Answers.created(MonitorResponse, {
    summary: 'Create a monitor: eval runs spawned on a cadence',
    description:
      "Metrics are checked against the target type's registry and filters against its keys (unknown keys: 422). " +
      "By default (scope 'new') each fire evaluates only the matching traces ingested since the last one.",
  })
  create(@ProjectId() projectId: string, @Body() dto: CreateMonitorRequest): Promise<MonitorResponse> {
    return this.monitors.create(projectId, dto);
  }

  @Get()
  @Answers.page(MonitorResponse, 'List monitors, newest first')
  list(@ProjectId() projectId: string, @Query() q: ListMonitorsQueryDto): Promise<Paginated<MonitorResponse>> {
    return this.monitors.list(projectId, q);
  }

  @Get(':monitor_id')
  @Answers.ok(MonitorResponse, 'Get a monitor (with its watermark, last skip and run totals)')
  get(@ProjectId() projectId: string, @Param() p: MonitorIdParams): Promise<MonitorResponse> {
    return this.monitors.get(projectId, p.monitor_id);
  }

  @Patch(':monitor_id')
  @Answers.ok(MonitorResponse, {
    summary: 'Update a monitor',
    description:
      'Only the keys sent change; target_type cannot. filters are replaced but keep signal_weights unless those are sent; ' +
      'a cadence change recomputes next_run_at from now.',
  })
  update(
    @ProjectId() projectId: string,
    @Param() p: MonitorIdParams,
    @Body() dto: UpdateMonitorRequest,
  ): Promise<MonitorResponse> {
    return this.monitors.update(projectId, p.monitor_id, dto);
  }

  @Delete(':monitor_id')
  @Answers.noContent('Delete a monitor; the runs it spawned are kept (their monitor_id becomes null)', 'Deleted.')
  async delete(@ProjectId() projectId: string, @Param() p: MonitorIdParams): Promise<void> {
    await this.monitors.delete(projectId, p.monitor_id);
  }

  @Post(':monitor_id/pause')
  @Answers.ok(MonitorResponse, 'Pause a monitor (idempotent): it never fires while PAUSED')
  pause(@ProjectId() projectId: string, @Param() p: MonitorIdParams): Promise<MonitorResponse> {
    return this.monitors.pause(projectId, p.monitor_id);
  }

  @Post(':monitor_id/resume')
  @Answers.ok(MonitorResponse, 'Resume a monitor (idempotent): next_run_at is its next slot after now')
  resume(@ProjectId() projectId: string, @Param() p: MonitorIdParams): Promise<MonitorResponse> {
    return this.monitors.resume(projectId, p.monitor_id);
  }

  @Post(':monitor_id/trigger')
  @RateLimit('monitorTrigger')
  @Answers.accepted(
    EvalRunResponse,
    {
      summary: 'Fire a monitor now, whatever its cadence',
      description:
        "Works on a PAUSED monitor (which stays PAUSED) and leaves next_run_at alone. Follows the monitor's scope: with " +
        "'new', only traces not yet taken; nothing to evaluate gives 422 naming why. 10/min (RATE_LIMIT_MONITOR_TRIGGER).",
    },
    'The spawned run, PENDING.',
  )
  trigger(@ProjectId() projectId: string, @Param() p: MonitorIdParams): Promise<EvalRunResponse> {
    return this.monitors.trigger(projectId, p.monitor_id);
  }

  @Get(':monitor_id/runs')
  @Answers.page(EvalRunResponse, 'Runs the monitor spawned, newest first')
  runs(
    @ProjectId() projectId: string,
    @Param() p: MonitorIdParams,
    @Query() q: PaginationQueryDto,
  ): Promise<Paginated<EvalRunResponse>> {
    return this.monitors.runs(projectId, p.monitor_id, q.limit, q.offset);
  }
}
