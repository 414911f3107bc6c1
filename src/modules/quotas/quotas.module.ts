import { Global, Module } from '@nestjs/common';
import { OrgQuotaService } from './org-quotas.service';

/** Per-organization quotas, for every module of the API and the worker (docs/security.md). */
@Global()
@Module({
  providers: [OrgQuotaService],
  exports: [OrgQuotaService],
})
export class QuotasModule {}
