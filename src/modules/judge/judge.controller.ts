import { Controller, Get } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/decorators/auth.decorator';
import { ProjectId } from '../auth/decorators/current-project.decorator';
import { ProviderStatusDto } from './dto/provider-status.dto';
import { ProviderViews } from './provider-views';

@ApiTags('evaluations')
@Controller()
export class JudgeController {
  constructor(private readonly views: ProviderViews) {}

  @Get('evaluations/providers')
  @Auth()
  @ApiOperation({
    summary: 'Judge providers and whether each is configured',
    description:
      'A project sees the settings dropped for its own models only, and neither base URLs nor error texts; operators get the full view at GET /admin/judge-providers (ADMIN_TOKEN).',
  })
  @ApiOkResponse({ type: ProviderStatusDto, isArray: true })
  listProviders(@ProjectId() projectId: string): Promise<ProviderStatusDto[]> {
    return this.views.forProject(projectId);
  }

  /** The operator's view (behind the admin token, see MetricsApiModule). */
  @Get('admin/judge-providers')
  @ApiExcludeEndpoint()
  listAllProviders(): Promise<ProviderStatusDto[]> {
    return this.views.forOperator();
  }
}
