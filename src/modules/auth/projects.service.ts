import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { conflict } from '../../common/errors/domain.error';
import { ProjectEntity } from './entities/project.entity';

@Injectable()
export class ProjectsService {
  constructor(@InjectRepository(ProjectEntity) private readonly projects: Repository<ProjectEntity>) {}

  findById(projectId: string): Promise<ProjectEntity | null> {
    return this.projects.findOneBy({ id: projectId });
  }

  findByName(orgId: string, name: string): Promise<ProjectEntity | null> {
    return this.projects.findOneBy({ orgId, name });
  }

  /** Finds a project by exact name in an organization, creating it on first use (race-safe). */
  async ensureByName(orgId: string, name: string): Promise<ProjectEntity> {
    return (await this.findOrCreateByName(orgId, name)).project;
  }

  /** As ensureByName, and whether this call created it (of concurrent first uses, exactly one did). */
  async findOrCreateByName(orgId: string, name: string): Promise<{ project: ProjectEntity; created: boolean }> {
    const existing = await this.projects.findOneBy({ orgId, name });
    if (existing) return { project: existing, created: false };
    const inserted = await this.projects
      .createQueryBuilder()
      .insert()
      .values({ orgId, name })
      .orIgnore()
      .returning('id')
      .execute();
    return { project: await this.projects.findOneByOrFail({ orgId, name }), created: inserted.raw.length > 0 };
  }

  async create(orgId: string, name: string, description = ''): Promise<ProjectEntity> {
    const result = await this.projects
      .createQueryBuilder()
      .insert()
      .values({ orgId, name, description })
      .orIgnore()
      .returning('id')
      .execute();
    if (!result.raw.length) throw conflict(`A project named '${name}' already exists in this organization.`);
    return this.projects.findOneByOrFail({ id: result.raw[0].id });
  }

  /** Sets the project's retention (null: the server default); null when the project is gone. */
  async setRetention(projectId: string, days: number | null): Promise<ProjectEntity | null> {
    await this.projects.update({ id: projectId }, { retentionDays: days });
    return this.findById(projectId);
  }

  listForOrg(orgId: string): Promise<ProjectEntity[]> {
    return this.projects.find({ where: { orgId }, order: { createdAt: 'ASC' } });
  }
}
