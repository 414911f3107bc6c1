import { Global, Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { APP_CONFIG } from '../../config/config.module';
import { AppConfig } from '../../config/env';
import { ApiKeyAuthService } from './api-key-auth.service';
import { BootstrapService } from './bootstrap.service';
import { CurrentProjectController } from './current-project.controller';
import { BearerAuthGuard } from './guards/bearer-auth.guard';
import { IngestRateGuard } from './guards/ingest-rate.guard';
import { JwtAuthGuard } from './guards/jwt-auth.guard';
import { ProjectAuthGuard } from './guards/project-auth.guard';
import { ProjectCreationLimiter } from './guards/project-creation-limiter';
import { RateLimitGuard } from './guards/rate-limit.guard';
import { ManagementController } from './management.controller';
import { ManagementService } from './management.service';
import { JwtStrategy } from './strategies/jwt.strategy';
import { ApiKeyLifecycleService } from './keys/api-key-lifecycle.service';
import { ApiKeysController } from './keys/api-keys.controller';
import { TenancyModule } from './tenancy.module';

const guards = [
  JwtAuthGuard,
  ProjectAuthGuard,
  BearerAuthGuard,
  RateLimitGuard,
  IngestRateGuard,
  ProjectCreationLimiter,
];

/** Global so that every feature module's `@Auth()` guards can be resolved. */
@Global()
@Module({
  imports: [PassportModule, TenancyModule],
  controllers: [ManagementController, ApiKeysController, CurrentProjectController],
  providers: [ManagementService, ApiKeyLifecycleService, JwtStrategy, ApiKeyAuthService, ...guards],
  exports: [TenancyModule, ApiKeyAuthService, ...guards],
})
export class AuthModule {}

/** Runs the INIT_* bootstrap once the database is reachable (API process only). */
@Module({ imports: [TenancyModule] })
export class AuthBootstrapModule implements OnApplicationBootstrap {
  constructor(
    private readonly bootstrap: BootstrapService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.init.orgName) await this.bootstrap.run();
  }
}
