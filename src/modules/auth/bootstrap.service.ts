import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG } from '../../config/config.module';
import { AppConfig } from '../../config/env';
import { ApiKeysService } from './api-keys.service';
import { MembershipEntity, MembershipRole } from './entities/membership.entity';
import { OrganizationEntity } from './entities/organization.entity';
import { ProjectEntity } from './entities/project.entity';
import { UserEntity } from './entities/user.entity';
import { ProjectsService } from './projects.service';

export interface BootstrapResult {
  orgId: string;
  projectId?: string;
  apiKeyId?: string;
  /** What was created rather than found (each one also logged). */
  created: string[];
}

/** An operator tool (CLI, INIT_*) could not tell which organization or project was meant. */
export class OperatorLookupError extends Error {
  override name = 'OperatorLookupError';
}

export interface OperatorLookup {
  /** The operator's user (JWT subject); organizations they belong to can be named. */
  operatorExternalId?: string;
  /** Create what is not found (the CLI's --create-org / --create-project, INIT_CREATE=true). */
  create: boolean;
  /** How the operator asks for creation, for the messages. */
  createFlag: string;
}

/**
 * Operator tools name organizations, and organization names are not unique: any user may create
 * an organization with any name (docs/security.md). So a name is only looked up among the
 * organizations an operator can vouch for: those with no member (made by these tools) and those
 * the operator belongs to. Several such matches are refused as ambiguous; a missing one is only
 * created when asked, and that is said. INIT_* runs this at every boot, idempotently.
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

  async organizationById(id: string): Promise<OrganizationEntity> {
    const org = await this.db.getRepository(OrganizationEntity).findOneBy({ id });
    if (!org) throw new OperatorLookupError(`No organization has id ${id}.`);
    return org;
  }

  async resolveOrganization(
    name: string,
    lookup: OperatorLookup,
  ): Promise<{ org: OrganizationEntity; created: boolean }> {
    // Serialise concurrent boots (API and worker start together) on the organization name.
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`init-org:${name}`]);
      const rows: { id: string; members: number; operator_is_member: boolean }[] = await tx.query(
        `SELECT o.id, count(m.id)::int AS members, coalesce(bool_or(u.external_id = $2), false) AS operator_is_member
           FROM organizations o
           LEFT JOIN memberships m ON m.org_id = o.id
           LEFT JOIN users u ON u.id = m.user_id
          WHERE o.name = $1
          GROUP BY o.id, o.created_at ORDER BY o.created_at`,
        [name, lookup.operatorExternalId ?? null],
      );
      const vouched = rows.filter((r) => r.members === 0 || r.operator_is_member);
      if (vouched.length > 1) {
        throw new OperatorLookupError(
          `Organization name '${name}' matches ${vouched.length} organizations (${vouched.map((r) => r.id).join(', ')}); address it by id (--org-id).`,
        );
      }
      if (vouched.length === 1)
        return { org: await tx.findOneByOrFail(OrganizationEntity, { id: vouched[0].id }), created: false };
      if (!lookup.create) {
        throw new OperatorLookupError(
          rows.length > 0
            ? `An organization named '${name}' exists, but the operator is not a member of it (anyone can create any name). Address it by id (--org-id) if it is yours, or pass ${lookup.createFlag} to create a separate one.`
            : `No organization named '${name}'. Pass ${lookup.createFlag} to create it.`,
        );
      }
      const org = await tx.save(tx.create(OrganizationEntity, { name }));
      this.logger.warn(`Created organization '${name}' (${org.id}) because ${lookup.createFlag} was given.`);
      return { org, created: true };
    });
  }

  async resolveProject(
    orgId: string,
    name: string,
    lookup: OperatorLookup,
  ): Promise<{ project: ProjectEntity; created: boolean }> {
    const found = await this.db.getRepository(ProjectEntity).findOneBy({ orgId, name });
    if (found) return { project: found, created: false };
    if (!lookup.create) {
      throw new OperatorLookupError(
        `No project named '${name}' in organization ${orgId}. Pass ${lookup.createFlag} to create it.`,
      );
    }
    const project = await this.projects.ensureByName(orgId, name);
    this.logger.warn(`Created project '${name}' (${project.id}) because ${lookup.createFlag} was given.`);
    return { project, created: true };
  }

  async run(): Promise<BootstrapResult | null> {
    const init = this.config.init;
    if (!init.orgName) return null;
    const lookup: OperatorLookup = {
      operatorExternalId: init.userExternalId,
      create: init.create,
      createFlag: 'INIT_CREATE=true',
    };
    const { org, created: orgCreated } = await this.resolveOrganization(init.orgName, lookup);
    const result: BootstrapResult = { orgId: org.id, created: orgCreated ? [`organization '${org.name}'`] : [] };
    if (init.projectName) {
      const { project, created } = await this.resolveProject(org.id, init.projectName, lookup);
      result.projectId = project.id;
      if (created) result.created.push(`project '${project.name}'`);
    }
    if (init.apiKey) result.apiKeyId = (await this.apiKeys.ensure(org.id, 'bootstrap key', init.apiKey)).id;
    if (init.userExternalId) await this.ensureOwner(this.db.manager, org.id, init.userExternalId, init.userEmail);
    this.logger.log(
      `Bootstrap ensured organization '${org.name}'${init.projectName ? ` and project '${init.projectName}'` : ''}`,
    );
    return result;
  }

  private async ensureOwner(db: EntityManager, orgId: string, externalId: string, email?: string): Promise<void> {
    const users = db.getRepository(UserEntity);
    await users.createQueryBuilder().insert().values({ externalId }).orIgnore().execute();
    const user = await users.findOneByOrFail({ externalId });
    if (email && !user.email) await users.update({ id: user.id }, { email });
    await db
      .getRepository(MembershipEntity)
      .createQueryBuilder()
      .insert()
      .values({ userId: user.id, orgId, role: MembershipRole.OWNER })
      .orIgnore()
      .execute();
  }
}
