import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKeysService } from './api-keys.service';
import { BootstrapService } from './bootstrap.service';
import { ApiKeyEntity } from './entities/api-key.entity';
import { MembershipEntity } from './entities/membership.entity';
import { OrganizationEntity } from './entities/organization.entity';
import { ProjectEntity } from './entities/project.entity';
import { UserEntity } from './entities/user.entity';
import { OrganizationsService } from './organizations.service';
import { ProjectsService } from './projects.service';

/** Organizations, users, projects and API keys, without any HTTP: shared by the API and the CLI. */
@Module({
  imports: [TypeOrmModule.forFeature([OrganizationEntity, UserEntity, MembershipEntity, ProjectEntity, ApiKeyEntity])],
  providers: [ApiKeysService, ProjectsService, OrganizationsService, BootstrapService],
  exports: [ApiKeysService, ProjectsService, OrganizationsService, BootstrapService],
})
export class TenancyModule {}
