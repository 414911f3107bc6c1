import { Body, Controller, Delete, Get, Param, Patch } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { UserAuth } from '../decorators/auth.decorator';
import { CurrentUser } from '../decorators/current-project.decorator';
import { OrganizationResponse, ProjectResponse } from '../dto/management.dto';
import { UserContext } from '../types/project-context';
import { uuidParam } from './identity.controller';
import { DeletionResponse, EditProjectRequest, UpdateOrganizationRequest } from './identity.dto';
import { OrgAdminService } from './org-admin.service';

@ApiTags('organizations')
@UserAuth()
@Controller('organizations/:org_id')
export class OrganizationAdminController {
  constructor(private readonly orgs: OrgAdminService) {}

  @Get()
  @ApiOperation({ summary: 'An organization, with the caller’s role (any member)' })
  @ApiOkResponse({ type: OrganizationResponse })
  get(@CurrentUser() user: UserContext, @Param('org_id', uuidParam) orgId: string) {
    return this.orgs.getOrganization(user, orgId);
  }

  @Patch()
  @ApiOperation({ summary: 'Rename an organization (Admin or Owner)' })
  @ApiOkResponse({ type: OrganizationResponse })
  rename(
    @CurrentUser() user: UserContext,
    @Param('org_id', uuidParam) orgId: string,
    @Body() body: UpdateOrganizationRequest,
  ) {
    return this.orgs.renameOrganization(user, orgId, body.name);
  }

  @Delete()
  @ApiOperation({
    summary: 'Delete an organization and everything it owns (Owner)',
    description:
      'Projects with all their data, keys (refused at once on every process), memberships, invitations. Answers the rows deleted per table.',
  })
  @ApiOkResponse({ type: DeletionResponse })
  delete(@CurrentUser() user: UserContext, @Param('org_id', uuidParam) orgId: string) {
    return this.orgs.deleteOrganization(user, orgId);
  }

  @Get('projects/:project_id')
  @ApiOperation({ summary: 'A project of the organization (any member)' })
  @ApiOkResponse({ type: ProjectResponse })
  getProject(
    @CurrentUser() user: UserContext,
    @Param('org_id', uuidParam) orgId: string,
    @Param('project_id', uuidParam) projectId: string,
  ) {
    return this.orgs.getProject(user, orgId, projectId);
  }

  @Patch('projects/:project_id')
  @ApiOperation({ summary: "Edit a project's name or description (Admin or Owner)" })
  @ApiOkResponse({ type: ProjectResponse })
  editProject(
    @CurrentUser() user: UserContext,
    @Param('org_id', uuidParam) orgId: string,
    @Param('project_id', uuidParam) projectId: string,
    @Body() body: EditProjectRequest,
  ) {
    return this.orgs.editProject(user, orgId, projectId, body);
  }

  @Delete('projects/:project_id')
  @ApiOperation({
    summary: 'Delete a project and all its data (Admin or Owner)',
    description: 'Traces, spans, scores, runs, monitors, rollups. Answers the rows deleted per table.',
  })
  @ApiOkResponse({ type: DeletionResponse })
  deleteProject(
    @CurrentUser() user: UserContext,
    @Param('org_id', uuidParam) orgId: string,
    @Param('project_id', uuidParam) projectId: string,
  ) {
    return this.orgs.deleteProject(user, orgId, projectId);
  }
}
