import { Body, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { stacked } from '../../common/decorators';
import { ErrorResponseDto } from '../../common/dto/error-response.dto';
import { Answers } from '../../common/http/route.decorators';
import { CurrentUser } from '../auth/decorators/current-project.decorator';
import { UserController } from '../auth/decorators/controller.decorator';
import { UserContext } from '../auth/types/project-context';
import {
  BillingResponse,
  CheckoutRequest,
  InvoicesQuery,
  OrgParams,
  PlanInfo,
  PortalRequest,
  SubscriptionResponse,
  UsagePeriodResponse,
  UsageResponse,
} from './dto';
import { NOT_BILLED, SubscriptionsService } from './subscriptions.service';

/** checkout and portal: billing routes of the hosted product, kept so that its clients get a clear 422. */
const RefusedBilling = () =>
  stacked(
    HttpCode(200),
    ApiOperation({ summary: 'Refused: billing is not part of a self-hosted instance (422)' }),
    ApiUnprocessableEntityResponse({ description: NOT_BILLED, type: ErrorResponseDto }),
  );

@UserController('subscriptions', 'organizations/:org_id/subscriptions')
export class SubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  @Get()
  @Answers.ok(SubscriptionResponse, "The organization's plan: DEVELOPMENT, ACTIVE, the current UTC month (self-hosted)")
  get(@CurrentUser() user: UserContext, @Param() p: OrgParams) {
    return this.subscriptions.subscription(user, p.org_id);
  }

  @Get('usage')
  @Answers.ok(UsageResponse, 'What the organization ingested and evaluated this month, and its limits (null: none)')
  usage(@CurrentUser() user: UserContext, @Param() p: OrgParams) {
    return this.subscriptions.currentUsage(user, p.org_id);
  }

  @Get('billing')
  @Answers.ok(BillingResponse, "This month's usage against what is included; every cost is zero (self-hosted)")
  billing(@CurrentUser() user: UserContext, @Param() p: OrgParams) {
    return this.subscriptions.billing(user, p.org_id);
  }

  @Get('invoices')
  @Answers.ok([UsagePeriodResponse], 'Usage per month, newest first, since the organization was created (never billed)')
  invoices(@CurrentUser() user: UserContext, @Param() p: OrgParams, @Query() q: InvoicesQuery) {
    return this.subscriptions.periods(user, p.org_id, q.limit ?? 12);
  }

  @Post('checkout')
  @RefusedBilling()
  checkout(@CurrentUser() user: UserContext, @Param() p: OrgParams, @Body() _body: CheckoutRequest) {
    return this.subscriptions.refuseBilling(user, p.org_id);
  }

  @Post('portal')
  @RefusedBilling()
  portal(@CurrentUser() user: UserContext, @Param() p: OrgParams, @Body() _body: PortalRequest) {
    return this.subscriptions.refuseBilling(user, p.org_id);
  }
}

@UserController('subscriptions', 'subscriptions')
export class PlansController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  @Get('plans')
  @Answers.ok([PlanInfo], 'The plans on offer: the self-hosted DEVELOPMENT plan only')
  plans() {
    return this.subscriptions.plans();
  }
}
