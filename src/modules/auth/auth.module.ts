import { Global, Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG } from '../../config/config.module';
import { AppConfig } from '../../config/env';
import { ApiKeysService } from './api-keys.service';
import { BootstrapService } from './bootstrap.service';
import { ApiKeyEntity } from './entities/api-key.entity';
import { MembershipEntity } from './entities/membership.entity';
import { OrganizationEntity } from './entities/organization.entity';
import { ProjectEntity } from './entities/project.entity';
import { UserEntity } from './entities/user.entity';
import { BearerAuthGuard } from './guards/bearer-auth.guard';
import { JwtAuthGuard } from './guards/jwt-auth.guard';
import { ProjectAuthGuard } from './guards/project-auth.guard';
import { RateLimitGuard } from './guards/rate-limit.guard';
import { CurrentProjectController } from './current-project.controller';
import { ManagementController } from './management.controller';
import { ManagementService } from './management.service';
import { OrganizationsService } from './organizations.service';
import { ProjectsService } from './projects.service';
import { JwtStrategy } from './strategies/jwt.strategy';

const guards = [JwtAuthGuard, ProjectAuthGuard, BearerAuthGuard, RateLimitGuard];

/** Global so that every feature module's `@Auth()` guards can be resolved. */
@Global()
@Module({
  imports: [
    PassportModule,
    TypeOrmModule.forFeature([OrganizationEntity, UserEntity, MembershipEntity, ProjectEntity, ApiKeyEntity]),
  ],
  controllers: [ManagementController, CurrentProjectController],
  providers: [
    ApiKeysService,
    ProjectsService,
    OrganizationsService,
    ManagementService,
    BootstrapService,
    JwtStrategy,
    ...guards,
  ],
  exports: [ApiKeysService, ProjectsService, OrganizationsService, BootstrapService, ...guards],
})
export class AuthModule {}

/** Runs the INIT_* bootstrap once the database is reachable (API process only). */
@Module({ imports: [AuthModule] })
export class AuthBootstrapModule implements OnApplicationBootstrap {
  constructor(
    private readonly bootstrap: BootstrapService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.init.orgName) await this.bootstrap.run();
  }
}
