import { Delete, Get, Param, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiPayloadTooLargeResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../../common/dto/error-response.dto';
import { Paginated } from '../../common/dto/pagination.dto';
import { Answers } from '../../common/http/route.decorators';
import { ProjectId } from '../auth/decorators/current-project.decorator';
import { ProjectController } from '../auth/decorators/controller.decorator';
import {
  ListSessionsQueryDto,
  SessionAnalyticsQueryDto,
  SessionIdParams,
  SessionTracesPageDto,
} from './dto/session-queries.dto';
import {
  SessionAnalyticsBucket,
  SessionDeleteResponse,
  SessionDetail,
  SessionSummary,
} from './dto/session-response.dto';
import { SessionsService } from './sessions.service';

@ProjectController('sessions', 'sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @Answers.page(SessionSummary, {
    summary: 'List sessions',
    description:
      'Sessions are the traces of the project grouped by session_id. Filters select whole sessions; the ' +
      'aggregates always cover all of a session’s traces. Ties are broken by session_id.',
  })
  list(@ProjectId() projectId: string, @Query() query: ListSessionsQueryDto): Promise<Paginated<SessionSummary>> {
    return this.sessions.list(projectId, query);
  }

  // Declared before `:session_id`, so that it is matched first (a session named "analytics" is not reachable here).
  @Get('analytics')
  @Answers.ok([SessionAnalyticsBucket], {
    summary: 'Time series of the project’s sessions',
    description:
      'One row per bucket of [started_after, started_before), empty buckets included. A session is placed by ' +
      'the start of its first trace. More than 10,000 buckets is a 422.',
  })
  analytics(
    @ProjectId() projectId: string,
    @Query() query: SessionAnalyticsQueryDto,
  ): Promise<SessionAnalyticsBucket[]> {
    return this.sessions.analytics(projectId, query);
  }

  @Get(':session_id')
  @Answers.ok(SessionDetail, {
    summary: 'Get a session with a page of its traces',
    description: 'The aggregates cover all of the session’s traces, whatever the page.',
  })
  @ApiNotFoundResponse({ description: 'No trace of the project has this session id.', type: ErrorResponseDto })
  @ApiPayloadTooLargeResponse({ description: 'The page is larger than MAX_RESPONSE_BYTES.', type: ErrorResponseDto })
  get(
    @ProjectId() projectId: string,
    @Param() params: SessionIdParams,
    @Query() page: SessionTracesPageDto,
  ): Promise<SessionDetail> {
    return this.sessions.get(projectId, params.session_id, page);
  }

  @Delete(':session_id')
  @Answers.ok(SessionDeleteResponse, {
    summary: 'Delete a session’s traces',
    description: 'Deletes every trace of the session with its spans. Session scores are kept.',
  })
  @ApiNotFoundResponse({ description: 'No trace of the project has this session id.', type: ErrorResponseDto })
  remove(@ProjectId() projectId: string, @Param() params: SessionIdParams): Promise<SessionDeleteResponse> {
    return this.sessions.delete(projectId, params.session_id);
  }
}
