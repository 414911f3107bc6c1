import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { PlanLimits } from './self-hosted-plan';
import { IntegerQuery } from '../../common/dto/query-fields';
import { UuidField } from '../../common/dto/fields';

const PLAN_DOC = 'Always DEVELOPMENT on a self-hosted instance (the dashboard shows no upgrade for it).';

export class OrgParams {
  @UuidField()
  org_id: string;
}

export class InvoicesQuery {
  @IntegerQuery({ default: 12, minimum: 1, maximum: 36 }, 1, 36)
  limit?: number;
}

/** Checkout and portal bodies are accepted as the dashboard sends them, then refused: nothing is billed here. */
export class CheckoutRequest {
  @ApiProperty() @IsString() plan: string;
  @ApiProperty() @IsString() success_url: string;
  @ApiProperty() @IsString() cancel_url: string;
}

export class PortalRequest {
  @ApiProperty() @IsString() return_url: string;
}

export class PlanLimitsDto implements PlanLimits {
  @ApiProperty({ type: Number, nullable: true, description: 'null: unlimited' }) base_traces: number | null;
  @ApiProperty({ type: Number, nullable: true }) base_trace_evals: number | null;
  @ApiProperty({ type: Number, nullable: true }) base_session_evals: number | null;
  @ApiProperty() monitoring_allowed: boolean;
  @ApiProperty({ type: Number, nullable: true }) max_members: number | null;
  @ApiProperty() pay_as_you_go: boolean;
}

export class SubscriptionResponse {
  @ApiProperty({ format: 'uuid', description: "The organization's id: one subscription per organization." }) id: string;
  @ApiProperty({ format: 'uuid' }) org_id: string;
  @ApiProperty({ example: 'DEVELOPMENT', description: PLAN_DOC }) plan: string;
  @ApiProperty({ example: 'ACTIVE' }) status: string;
  @ApiProperty({ format: 'date-time', description: 'Start of the current UTC calendar month.' })
  current_period_start: string;
  @ApiProperty({ format: 'date-time' }) current_period_end: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) canceled_at: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

/** One per-organization quota (docs/security.md): its limit (0: unlimited) and what the organization uses now. */
export class QuotaUseDto {
  @ApiProperty({
    enum: ['projects', 'apiKeys', 'monitors', 'runsInFlight', 'judgeCallsPerDay', 'judgeTokensPerDay'],
  })
  name: string;
  @ApiProperty({ example: 'QUOTA_PROJECTS_PER_ORG', description: 'The variable that sets it.' }) variable: string;
  @ApiProperty({ type: 'integer', description: '0: unlimited' }) limit: number;
  @ApiProperty({
    type: 'integer',
    description: 'Held now (projects, active keys, monitors, runs in flight) or spent today (UTC).',
  })
  used: number;
}

export class UsageResponse {
  @ApiProperty({ example: 'DEVELOPMENT' }) plan: string;
  @ApiProperty({ example: 'ACTIVE' }) status: string;
  @ApiProperty({ format: 'date-time' }) period_start: string;
  @ApiProperty({ format: 'date-time' }) period_end: string;
  @ApiProperty({ description: 'Traces ingested in the period (by ingestion time), counted in the database.' })
  traces: number;
  @ApiProperty({ description: 'Judge-produced trace scores created in the period.' }) trace_evals: number;
  @ApiProperty({ description: 'Judge-produced session scores created in the period.' }) session_evals: number;
  @ApiProperty({ type: PlanLimitsDto }) limits: PlanLimitsDto;
  @ApiProperty({ type: [QuotaUseDto], description: "The organization's quotas with their defaults, and what is used." })
  quotas: QuotaUseDto[];
}

export class CategoryBreakdown {
  @ApiProperty() used: number;
  @ApiProperty({ type: Number, nullable: true, description: 'null: unlimited' }) included: number | null;
  @ApiProperty() overage_units: number;
  @ApiProperty({ example: '0.000' }) overage_cost: string;
}

export class BillingResponse {
  @ApiProperty({ example: 'DEVELOPMENT' }) plan: string;
  @ApiProperty({ format: 'date-time' }) period_start: string;
  @ApiProperty({ format: 'date-time' }) period_end: string;
  @ApiProperty() base_price_cents: number;
  @ApiProperty({ example: '0.000' }) overage_unit_price: string;
  @ApiProperty({ type: CategoryBreakdown }) traces: CategoryBreakdown;
  @ApiProperty({ type: CategoryBreakdown }) trace_evals: CategoryBreakdown;
  @ApiProperty({ type: CategoryBreakdown }) session_evals: CategoryBreakdown;
  @ApiProperty({ example: '0.000' }) total_overage_cost: string;
  @ApiProperty({ example: '0.000' }) reported_overage_cost: string;
  @ApiProperty({ example: '0.000' }) pending_overage_cost: string;
  @ApiProperty() estimated_total_cents: number;
}

export class UsagePeriodResponse {
  @ApiProperty({ format: 'date-time' }) period_start: string;
  @ApiProperty({ format: 'date-time' }) period_end: string;
  @ApiProperty() trace_count: number;
  @ApiProperty() trace_eval_count: number;
  @ApiProperty() session_eval_count: number;
  @ApiProperty({ description: 'Always false: nothing is billed.' }) billed: boolean;
  @ApiProperty({ type: String, nullable: true }) stripe_invoice_id: string | null;
}

export class PlanInfo extends PlanLimitsDto {
  @ApiProperty({ example: 'DEVELOPMENT' }) name: string;
  @ApiProperty() monthly_price_cents: number;
  @ApiProperty({ example: '0.000' }) overage_unit_price: string;
}
