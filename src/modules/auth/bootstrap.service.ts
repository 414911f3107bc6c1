import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../../config/config.module';
import { AppConfig } from '../../config/env';
import { ApiKeysService } from './api-keys.service';
import { MembershipEntity, MembershipRole } from './entities/membership.entity';
import { OrganizationEntity } from './entities/organization.entity';
import { UserEntity } from './entities/user.entity';
import { ProjectsService } from './projects.service';

export interface BootstrapResult {
  orgId: string;
  projectId?: string;
  apiKeyId?: string;
}

/**
 * A way in for self-hosters: INIT_* variables idempotently ensure an organization, a project,
 * an API key (the given raw key, stored hashed) and an owner user. Safe to run at every boot.
 */
@Injectable()
export class BootstrapService {
  private readonly logger = new Logger(BootstrapService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly projects: ProjectsService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  async ensureOrganization(name: string): Promise<OrganizationEntity> {
    // Serialise concurrent boots (API and worker start together) on the organization name.
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`init-org:${name}`]);
      const found = await tx.findOne(OrganizationEntity, { where: { name }, order: { createdAt: 'ASC' } });
      return found ?? tx.save(tx.create(OrganizationEntity, { name }));
    });
  }

  async run(): Promise<BootstrapResult | null> {
    const init = this.config.init;
    if (!init.orgName) return null;
    const org = await this.ensureOrganization(init.orgName);
    const result: BootstrapResult = { orgId: org.id };
    if (init.projectName) result.projectId = (await this.projects.ensureByName(org.id, init.projectName)).id;
    if (init.apiKey) result.apiKeyId = (await this.apiKeys.ensure(org.id, 'bootstrap key', init.apiKey)).id;
    if (init.userExternalId) {
      const users = this.db.getRepository(UserEntity);
      await users.createQueryBuilder().insert().values({ externalId: init.userExternalId }).orIgnore().execute();
      const user = await users.findOneByOrFail({ externalId: init.userExternalId });
      if (init.userEmail && !user.email) await users.update({ id: user.id }, { email: init.userEmail });
      await this.db
        .getRepository(MembershipEntity)
        .createQueryBuilder()
        .insert()
        .values({ userId: user.id, orgId: org.id, role: MembershipRole.OWNER })
        .orIgnore()
        .execute();
    }
    this.logger.log(
      `Bootstrap ensured organization '${org.name}'${init.projectName ? ` and project '${init.projectName}'` : ''}`,
    );
    return result;
  }
}
