import { Module } from '@nestjs/common';
import { TenancyModule } from '../auth/tenancy.module';
import { CliAuthClock } from './cli-auth-clock';
import { CliAuthController } from './cli-auth.controller';
import { CliAuthService } from './cli-auth.service';
import { CliCodeStore } from './cli-code-store';

/** `pandaprobe auth login` (docs/cli-login.md). */
@Module({
  imports: [TenancyModule],
  controllers: [CliAuthController],
  providers: [CliAuthService, CliCodeStore, CliAuthClock],
})
export class CliAuthModule {}
