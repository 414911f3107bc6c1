import { Body, Get, Post } from '@nestjs/common';
import { ManagementService } from './management.service';
import { CurrentUser } from './decorators/current-project.decorator';
import { UserController } from './decorators/controller.decorator';
import {
  APIKeyResponse,
  CreateAPIKeyRequest,
  CreateOrganizationRequest,
  CreateProjectRequest,
  OrganizationResponse,
  ProjectResponse,
} from './dto/management.dto';
import { UserContext } from './types/project-context';
import { Answers, UuidParam } from '../../common/http/route.decorators';

@UserController('organizations', 'organizations')
export class ManagementController {
  constructor(private readonly management: ManagementService) {}

  @Post()
  @Answers.created(OrganizationResponse, 'Create an organization; the caller becomes its OWNER')
  createOrganization(@CurrentUser() user: UserContext, @Body() body: CreateOrganizationRequest) {
    return this.management.createOrganization(user, body.name);
  }

  @Get()
  @Answers.ok([OrganizationResponse], "List the caller's organizations, with the caller's role")
  listOrganizations(@CurrentUser() user: UserContext) {
    return this.management.listOrganizations(user);
  }

  @Post(':org_id/projects')
  @Answers.created(ProjectResponse, 'Create a project (Admin or Owner)')
  createProject(
    @CurrentUser() user: UserContext,
    @UuidParam('org_id') orgId: string,
    @Body() body: CreateProjectRequest,
  ) {
    return this.management.createProject(user, orgId, body);
  }

  @Get(':org_id/projects')
  @Answers.ok([ProjectResponse], "List an organization's projects")
  listProjects(@CurrentUser() user: UserContext, @UuidParam('org_id') orgId: string) {
    return this.management.listProjects(user, orgId);
  }

  @Post(':org_id/api-keys')
  @Answers.created(APIKeyResponse, 'Create an API key (Admin or Owner); the secret is in this response only')
  createApiKey(
    @CurrentUser() user: UserContext,
    @UuidParam('org_id') orgId: string,
    @Body() body: CreateAPIKeyRequest,
  ) {
    return this.management.createApiKey(user, orgId, body);
  }

  @Get(':org_id/api-keys')
  @Answers.ok([APIKeyResponse], "List an organization's API keys (never their secrets)")
  listApiKeys(@CurrentUser() user: UserContext, @UuidParam('org_id') orgId: string) {
    return this.management.listApiKeys(user, orgId);
  }
}
