import { Body, Delete, Get, Patch } from '@nestjs/common';
import { CurrentUser } from '../decorators/current-project.decorator';
import { UserController } from '../decorators/controller.decorator';
import { OrganizationResponse, ProjectResponse } from '../dto/management.dto';
import { UserContext } from '../types/project-context';
import { DeletionResponse, EditProjectRequest, UpdateOrganizationRequest } from './identity.dto';
import { OrgAdminService } from './org-admin.service';
import { Answers, UuidParam } from '../../../common/http/route.decorators';

@UserController('organizations', 'organizations/:org_id')
export class OrganizationAdminController {
  constructor(private readonly orgs: OrgAdminService) {}

  @Get()
  @Answers.ok(OrganizationResponse, 'An organization, with the caller’s role (any member)')
  get(@CurrentUser() user: UserContext, @UuidParam('org_id') orgId: string) {
    return this.orgs.getOrganization(user, orgId);
  }

  @Patch()
  @Answers.ok(OrganizationResponse, 'Rename an organization (Admin or Owner)')
  rename(
    @CurrentUser() user: UserContext,
    @UuidParam('org_id') orgId: string,
    @Body() body: UpdateOrganizationRequest,
  ) {
    return this.orgs.renameOrganization(user, orgId, body.name);
  }

  @Delete()
  @Answers.ok(DeletionResponse, {
    summary: 'Delete an organization and everything it owns (Owner)',
    description:
      'Projects with all their data, keys (refused at once on every process), memberships, invitations. Answers the rows deleted per table.',
  })
  delete(@CurrentUser() user: UserContext, @UuidParam('org_id') orgId: string) {
    return this.orgs.deleteOrganization(user, orgId);
  }

  @Get('projects/:project_id')
  @Answers.ok(ProjectResponse, 'A project of the organization (any member)')
  getProject(
    @CurrentUser() user: UserContext,
    @UuidParam('org_id') orgId: string,
    @UuidParam('project_id') projectId: string,
  ) {
    return this.orgs.getProject(user, orgId, projectId);
  }

  @Patch('projects/:project_id')
  @Answers.ok(ProjectResponse, "Edit a project's name or description (Admin or Owner)")
  editProject(
    @CurrentUser() user: UserContext,
    @UuidParam('org_id') orgId: string,
    @UuidParam('project_id') projectId: string,
    @Body() body: EditProjectRequest,
  ) {
    return this.orgs.editProject(user, orgId, projectId, body);
  }

  @Delete('projects/:project_id')
  @Answers.ok(DeletionResponse, {
    summary: 'Delete a project and all its data (Admin or Owner)',
    description: 'Traces, spans, scores, runs, monitors, rollups. Answers the rows deleted per table.',
  })
  deleteProject(
    @CurrentUser() user: UserContext,
    @UuidParam('org_id') orgId: string,
    @UuidParam('project_id') projectId: string,
  ) {
    return this.orgs.deleteProject(user, orgId, projectId);
  }
}
