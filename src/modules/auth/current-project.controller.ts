import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiForbiddenResponse, ApiTags } from '@nestjs/swagger';
import { ErrorResponseDto } from '../../common/dto/error-response.dto';
import { forbidden, notFound } from '../../common/errors/domain.error';
import { Answers } from '../../common/http/route.decorators';
import { Auth } from './decorators/auth.decorator';
import { CurrentProject } from './decorators/current-project.decorator';
import { ProjectResponse, UpdateProjectRequest } from './dto/management.dto';
import { MembershipRole } from './entities/membership.entity';
import { OrganizationsService } from './organizations.service';
import { ProjectsService } from './projects.service';
import { ProjectContext } from './types/project-context';

@ApiTags('projects')
@Controller('projects')
export class CurrentProjectController {
  constructor(
    private readonly projects: ProjectsService,
    private readonly organizations: OrganizationsService,
  ) {}

  @Get('current')
  @Auth()
  @Answers.ok(ProjectResponse, {
    summary: 'The project the credentials resolve to',
    description: 'A cheap way to check a key: with an API key, an unknown project name is created on first use.',
  })
  async current(@CurrentProject() ctx: ProjectContext): Promise<ProjectResponse> {
    const project = await this.projects.findById(ctx.projectId);
    if (!project) throw notFound(`Project ${ctx.projectId} not found.`);
    return ProjectResponse.from(project);
  }

  @Patch('current')
  @Auth()
  @Answers.ok(ProjectResponse, {
    summary: "Change the project's settings",
    description:
      'Today: `retention_days`, how long its traces are kept (docs/retention.md). Needs a Bearer token of an OWNER or ADMIN of the organization: an ingest key cannot shorten what is kept (403).',
  })
  @ApiForbiddenResponse({
    description: 'An API key, or a member who is not an OWNER or ADMIN of the organization.',
    type: ErrorResponseDto,
  })
  async update(@CurrentProject() ctx: ProjectContext, @Body() body: UpdateProjectRequest): Promise<ProjectResponse> {
    // The next sweep deletes what a shorter retention no longer keeps: only the organization's admins decide that.
    if (ctx.principal.kind !== 'user') {
      throw forbidden(
        'Changing retention_days needs a Bearer token of an OWNER or ADMIN of the organization; API keys cannot.',
      );
    }
    await this.organizations.assertMember(ctx.principal.userId, ctx.orgId, [
      MembershipRole.OWNER,
      MembershipRole.ADMIN,
    ]);
    const project = await this.projects.setRetention(ctx.projectId, body.retention_days);
    if (!project) throw notFound(`Project ${ctx.projectId} not found.`);
    return ProjectResponse.from(project);
  }
}
