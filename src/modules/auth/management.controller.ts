import { Body, Controller, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ManagementService } from './management.service';
import { CurrentUser } from './decorators/current-project.decorator';
import { UserAuth } from './decorators/auth.decorator';
import {
  APIKeyResponse,
  CreateAPIKeyRequest,
  CreateOrganizationRequest,
  CreateProjectRequest,
  OrganizationResponse,
  ProjectResponse,
} from './dto/management.dto';
import { UserContext } from './types/project-context';

const uuid = new ParseUUIDPipe({ version: '4', errorHttpStatusCode: 422 });

@ApiTags('organizations')
@UserAuth()
@Controller('organizations')
export class ManagementController {
  constructor(private readonly management: ManagementService) {}

  @Post()
  @ApiOperation({ summary: 'Create an organization; the caller becomes its OWNER' })
  @ApiCreatedResponse({ type: OrganizationResponse })
  createOrganization(@CurrentUser() user: UserContext, @Body() body: CreateOrganizationRequest) {
    return this.management.createOrganization(user, body.name);
  }

  @Get()
  @ApiOperation({ summary: "List the caller's organizations, with the caller's role" })
  @ApiOkResponse({ type: [OrganizationResponse] })
  listOrganizations(@CurrentUser() user: UserContext) {
    return this.management.listOrganizations(user);
  }

  @Post(':org_id/projects')
  @ApiOperation({ summary: 'Create a project (Admin or Owner)' })
  @ApiCreatedResponse({ type: ProjectResponse })
  createProject(
    @CurrentUser() user: UserContext,
    @Param('org_id', uuid) orgId: string,
    @Body() body: CreateProjectRequest,
  ) {
    return this.management.createProject(user, orgId, body);
  }

  @Get(':org_id/projects')
  @ApiOperation({ summary: "List an organization's projects" })
  @ApiOkResponse({ type: [ProjectResponse] })
  listProjects(@CurrentUser() user: UserContext, @Param('org_id', uuid) orgId: string) {
    return this.management.listProjects(user, orgId);
  }

  @Post(':org_id/api-keys')
  @ApiOperation({ summary: 'Create an API key (Admin or Owner); the secret is in this response only' })
  @ApiCreatedResponse({ type: APIKeyResponse })
  createApiKey(
    @CurrentUser() user: UserContext,
    @Param('org_id', uuid) orgId: string,
    @Body() body: CreateAPIKeyRequest,
  ) {
    return this.management.createApiKey(user, orgId, body);
  }

  @Get(':org_id/api-keys')
  @ApiOperation({ summary: "List an organization's API keys (never their secrets)" })
  @ApiOkResponse({ type: [APIKeyResponse] })
  listApiKeys(@CurrentUser() user: UserContext, @Param('org_id', uuid) orgId: string) {
    return this.management.listApiKeys(user, orgId);
  }
}
