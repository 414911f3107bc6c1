import { OrgQuotaService } from '../quotas/org-quotas.service';
import { Injectable } from '@nestjs/common';
import { ApiKeysService } from './api-keys.service';
import {
  APIKeyResponse,
  CreateAPIKeyRequest,
  CreateProjectRequest,
  OrganizationResponse,
  ProjectResponse,
} from './dto/management.dto';
import { MembershipRole } from './entities/membership.entity';
import { ONBOARDING_PROJECT } from './identity/user-provisioning.service';
import { OrganizationsService } from './organizations.service';
import { ProjectsService } from './projects.service';
import { UserContext } from './types/project-context';

/** Organizations, projects and API keys, for Bearer-authenticated users. */
@Injectable()
export class ManagementService {
  constructor(
    private readonly organizations: OrganizationsService,
    private readonly projects: ProjectsService,
    private readonly apiKeys: ApiKeysService,
    private readonly quotas: OrgQuotaService,
  ) {}

  async createOrganization(user: UserContext, name: string): Promise<OrganizationResponse> {
    const org = await this.organizations.create(name, user.userId, ONBOARDING_PROJECT);
    return OrganizationResponse.from(org, MembershipRole.OWNER);
  }

  async listOrganizations(user: UserContext): Promise<OrganizationResponse[]> {
    const rows = await this.organizations.listForUser(user.userId);
    return rows.map(({ org, role }) => OrganizationResponse.from(org, role));
  }

  async createProject(user: UserContext, orgId: string, body: CreateProjectRequest): Promise<ProjectResponse> {
    await this.organizations.assertAdmin(user.userId, orgId);
    const project = await this.quotas.within(orgId, 'projects', () =>
      this.projects.create(orgId, body.name, body.description ?? ''),
    );
    return ProjectResponse.from(project);
  }

  async listProjects(user: UserContext, orgId: string): Promise<ProjectResponse[]> {
    await this.organizations.assertMember(user.userId, orgId);
    return (await this.projects.listForOrg(orgId)).map((p) => ProjectResponse.from(p));
  }

  async createApiKey(user: UserContext, orgId: string, body: CreateAPIKeyRequest): Promise<APIKeyResponse> {
    await this.organizations.assertAdmin(user.userId, orgId);
    const { key, rawKey } = await this.quotas.within(orgId, 'apiKeys', () =>
      this.apiKeys.create(orgId, body.name, body.expiration ?? 'never', user.userId),
    );
    return APIKeyResponse.from(key, rawKey);
  }

  async listApiKeys(user: UserContext, orgId: string): Promise<APIKeyResponse[]> {
    await this.organizations.assertMember(user.userId, orgId);
    return (await this.apiKeys.list(orgId)).map((k) => APIKeyResponse.from(k));
  }
}
