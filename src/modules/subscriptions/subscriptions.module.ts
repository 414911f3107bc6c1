import { Module } from '@nestjs/common';
import { TenancyModule } from '../auth/tenancy.module';
import { PlanLimitsSource } from './plan-limits.source';
import { PlansController, SubscriptionsController } from './subscriptions.controller';
import { SubscriptionsService } from './subscriptions.service';
import { UsageCounter } from './usage-counter.service';

/** Subscriptions, usage and billing reads for a self-hosted instance ([docs/self-hosted-plan.md]). */
@Module({
  imports: [TenancyModule],
  controllers: [SubscriptionsController, PlansController],
  providers: [SubscriptionsService, UsageCounter, PlanLimitsSource],
  exports: [UsageCounter, PlanLimitsSource],
})
export class SubscriptionsModule {}
