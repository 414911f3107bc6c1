import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ErrorResponseDto } from '../../common/dto/error-response.dto';
import { Paginated, PaginationQueryDto } from '../../common/dto/pagination.dto';
import { Answers } from '../../common/http/route.decorators';
import { Auth } from '../auth/decorators/auth.decorator';
import { ProjectId } from '../auth/decorators/current-project.decorator';
import { BatchDeleteResultDto, BatchDeleteTracesDto, BatchTagResultDto, BatchTagTracesDto } from './dto/batch.dto';
import { ListTracesQueryDto } from './dto/list-traces.query.dto';
import { SpanCreateDto } from './dto/span-create.dto';
import { SpanUpdateDto } from './dto/span-update.dto';
import {
  SpanResponseDto,
  SpansAcceptedDto,
  TraceAcceptedDto,
  TraceListItemDto,
  TraceResponseDto,
  TraceUserSummaryDto,
} from './dto/trace-response.dto';
import { TraceCreateDto } from './dto/trace-create.dto';
import { SpanIdParams, TraceIdParams } from './dto/trace-params.dto';
import { TraceUpdateDto } from './dto/trace-update.dto';
import { SpanListBodyPipe, TraceCreateBodyPipe } from './pipes/ingest-body.pipe';
import { TracesService } from './traces.service';

@ApiTags('traces')
@Controller('traces')
export class TracesController {
  constructor(private readonly traces: TracesService) {}

  @Post()
  @HttpCode(202)
  @Auth({ limit: 'ingest' })
  @ApiOperation({
    summary: 'Ingest a trace with its spans',
    description:
      'Answers 202 once the trace and all its spans are committed. Re-posting a trace_id merges into the stored ' +
      'trace; a trace_id owned by another project is a 409. Unknown keys are ignored.',
  })
  @ApiHeader({ name: 'x-request-id', required: false, description: 'Echoed as task_id when it is a UUID.' })
  @ApiBody({ type: TraceCreateDto })
  @ApiAcceptedResponse({ type: TraceAcceptedDto })
  @ApiConflictResponse({ description: 'The trace id belongs to another project.', type: ErrorResponseDto })
  @ApiPayloadTooLargeResponse({ description: 'The body is larger than the configured limit.', type: ErrorResponseDto })
  ingest(
    @ProjectId() projectId: string,
    @Body(TraceCreateBodyPipe) body: Readonly<TraceCreateDto>,
    @Headers('x-request-id') requestId?: string,
  ): Promise<TraceAcceptedDto> {
    return this.traces.ingest(projectId, body, requestId);
  }

  @Get()
  @Auth()
  @Answers.page(TraceListItemDto, {
    summary: 'List traces',
    description: 'Filters, sorting (ties broken by trace_id) and paging.',
  })
  list(@ProjectId() projectId: string, @Query() query: ListTracesQueryDto): Promise<Paginated<TraceListItemDto>> {
    return this.traces.listTraces(projectId, query);
  }

  @Get('users')
  @Auth()
  @Answers.page(TraceUserSummaryDto, {
    summary: 'End users seen in traces',
    description: 'Ordered by last_seen, most recent first.',
  })
  users(@ProjectId() projectId: string, @Query() page: PaginationQueryDto): Promise<Paginated<TraceUserSummaryDto>> {
    return this.traces.listUsers(projectId, page);
  }

  @Post('batch/delete')
  @Auth()
  @Answers.ok(BatchDeleteResultDto, {
    summary: 'Delete several traces',
    description: 'Ids unknown to the project are ignored.',
  })
  batchDelete(@ProjectId() projectId: string, @Body() body: BatchDeleteTracesDto): Promise<BatchDeleteResultDto> {
    return this.traces.deleteTraces(projectId, body);
  }

  @Post('batch/tags')
  @Auth()
  @Answers.ok(BatchTagResultDto, {
    summary: 'Add and remove tags on several traces',
    description: 'Removals first, then additions.',
  })
  batchTags(@ProjectId() projectId: string, @Body() body: BatchTagTracesDto): Promise<BatchTagResultDto> {
    return this.traces.retagTraces(projectId, body);
  }

  @Get(':trace_id')
  @Auth()
  @Answers.ok(TraceResponseDto, 'Get a trace with its spans')
  async get(
    @ProjectId() projectId: string,
    @Param() params: TraceIdParams,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    // The body is JSON text from PostgreSQL, sent as is; a large read keeps its permit until it is written.
    const sent = new Promise<void>((resolve) => res.once('close', () => resolve()));
    const body = await this.traces.getTraceJson(projectId, params.trace_id, sent);
    res.type('application/json');
    return body;
  }

  @Patch(':trace_id')
  @Auth()
  @Answers.ok(TraceResponseDto, {
    summary: 'Update a trace',
    description:
      'Only the keys sent change; null clears a nullable field; tags are replaced; metadata is merged. ' +
      'A body that sets nothing (empty, `{}`) is a no-op: the trace is returned unchanged, updated_at included.',
  })
  update(
    @ProjectId() projectId: string,
    @Param() params: TraceIdParams,
    @Body() body: TraceUpdateDto,
  ): Promise<TraceResponseDto> {
    return this.traces.updateTrace(projectId, params.trace_id, body);
  }

  @Delete(':trace_id')
  @Auth()
  @Answers.noContent('Delete a trace and its spans')
  remove(@ProjectId() projectId: string, @Param() params: TraceIdParams): Promise<void> {
    return this.traces.deleteTrace(projectId, params.trace_id);
  }

  @Post(':trace_id/spans')
  @Auth({ limit: 'ingest' })
  @ApiOperation({ summary: 'Add or merge spans into a trace', description: 'A JSON array of 1 to 500 spans.' })
  @ApiBody({ type: [SpanCreateDto] })
  @ApiCreatedResponse({ type: SpansAcceptedDto })
  addSpans(
    @ProjectId() projectId: string,
    @Param() params: TraceIdParams,
    @Body(SpanListBodyPipe) body: ReadonlyArray<SpanCreateDto>,
  ): Promise<SpansAcceptedDto> {
    return this.traces.addSpans(projectId, params.trace_id, [...body]);
  }

  @Patch(':trace_id/spans/:span_id')
  @Auth()
  @Answers.ok(SpanResponseDto, {
    summary: 'Update a span',
    description:
      'Only the keys sent change; null clears a nullable field; metadata is merged; started_at is fixed. ' +
      "A body that sets nothing (empty, `{}`) is a no-op: the trace's updated_at does not move.",
  })
  updateSpan(
    @ProjectId() projectId: string,
    @Param() params: SpanIdParams,
    @Body() body: SpanUpdateDto,
  ): Promise<SpanResponseDto> {
    return this.traces.updateSpan(projectId, params.trace_id, params.span_id, body);
  }
}
