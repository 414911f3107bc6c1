import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { conflict, notFound } from '../../../common/errors/domain.error';
import { OrganizationResponse, ProjectResponse } from '../dto/management.dto';
import { OrganizationEntity } from '../entities/organization.entity';
import { ProjectEntity } from '../entities/project.entity';
import { UserContext } from '../types/project-context';
import { DeletionResponse, EditProjectRequest } from './identity.dto';
import { OrgAccess } from './org-access';
import { PurgeService } from './purge.service';

/** One organization and its projects: read, rename or edit, delete with everything they own. */
@Injectable()
export class OrgAdminService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly access: OrgAccess,
    private readonly purge: PurgeService,
  ) {}

  async getOrganization(user: UserContext, orgId: string): Promise<OrganizationResponse> {
    const role = await this.access.require(user.userId, orgId, 'member');
    return OrganizationResponse.from(
      await this.db.getRepository(OrganizationEntity).findOneByOrFail({ id: orgId }),
      role,
    );
  }

  async renameOrganization(
    user: UserContext,
    orgId: string,
    name: string | null | undefined,
  ): Promise<OrganizationResponse> {
    await this.access.require(user.userId, orgId, 'admin');
    const orgs = this.db.getRepository(OrganizationEntity);
    if (name) await orgs.update({ id: orgId }, { name });
    return OrganizationResponse.from(await orgs.findOneByOrFail({ id: orgId }));
  }

  async deleteOrganization(user: UserContext, orgId: string): Promise<DeletionResponse> {
    await this.access.require(user.userId, orgId, 'owner');
    return { id: orgId, deleted: await this.purge.purgeOrganization(orgId) };
  }

  async getProject(user: UserContext, orgId: string, projectId: string): Promise<ProjectResponse> {
    await this.access.require(user.userId, orgId, 'member');
    return ProjectResponse.from(await this.project(orgId, projectId));
  }

  async editProject(
    user: UserContext,
    orgId: string,
    projectId: string,
    body: EditProjectRequest,
  ): Promise<ProjectResponse> {
    await this.access.require(user.userId, orgId, 'admin');
    await this.project(orgId, projectId);
    const changes: Partial<ProjectEntity> = {};
    if (body.name) changes.name = body.name;
    if (typeof body.description === 'string') changes.description = body.description;
    if (Object.keys(changes).length > 0) {
      try {
        await this.db.getRepository(ProjectEntity).update({ id: projectId, orgId }, changes);
      } catch (error) {
        if ((error as { code?: string }).code === '23505') {
          throw conflict(`A project named '${body.name}' already exists in this organization.`);
        }
        throw error;
      }
    }
    return ProjectResponse.from(await this.project(orgId, projectId));
  }

  async deleteProject(user: UserContext, orgId: string, projectId: string): Promise<DeletionResponse> {
    await this.access.require(user.userId, orgId, 'admin');
    await this.project(orgId, projectId);
    return { id: projectId, deleted: await this.purge.purgeProject(projectId) };
  }

  /** A project of another organization is "not found" too: its id cannot be probed from here. */
  private async project(orgId: string, projectId: string): Promise<ProjectEntity> {
    const project = await this.db.getRepository(ProjectEntity).findOneBy({ id: projectId, orgId });
    if (!project) throw notFound(`Project ${projectId} not found.`);
    return project;
  }
}
