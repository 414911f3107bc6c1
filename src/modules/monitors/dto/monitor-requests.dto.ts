import { ApiProperty, ApiPropertyOptions, OmitType, PartialType, PickType } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsNotEmpty, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';
import { stacked } from '../../../common/decorators';
import { EnumFilter, UuidField } from '../../../common/dto/fields';
import { PaginationQueryDto } from '../../../common/dto/pagination.dto';
import { RunMetricsFields } from '../../eval-runs/dto/create-eval-run.dto';
import { MetricNamesField, PositiveCountField, SamplingRateField } from '../../eval-runs/dto/run-option-fields';
import { markRawJson } from '../../../common/validation/raw-json';
import { KeepRawJson } from '../../traces/dto/validators';
import { MONITOR_SCOPES, MonitorScope, MonitorStatus } from '../entities/monitor.entity';

const FILTERS_DOC =
  'Which traces (or sessions) the monitor evaluates; `{}` means all. TRACE keys: date_from, date_to, status, ' +
  'session_id, user_id, tags, name. SESSION keys: date_from, date_to, user_id, has_error, tags, min_trace_count. ' +
  'Unknown keys give 422.';
const CADENCE_DOC =
  "'every_6h', 'daily', 'weekly', 'every_<n>m' / 'every_<n>h' (1 minute to 4 weeks), or 'cron:<minute hour " +
  "day-of-month month day-of-week>' in UTC (stored normalised). Interval slots count from the monitor's creation " +
  '(or last cadence change); anything else gives 422.';
const SIGNAL_WEIGHTS_DOC =
  'SESSION only (422 on a TRACE monitor): weights of the session signals confidence, loop_detection, ' +
  'tool_correctness, coherence. Stored as filters.signal_weights.';

/** An optional JSON object handed to the service as sent (see raw-json.ts), which checks its keys. */
const RawJsonObjectField = (description: string, schema: ApiPropertyOptions) =>
  stacked(
    ApiProperty({ required: false, ...schema, description } as ApiPropertyOptions),
    IsOptional(),
    IsObject(),
    KeepRawJson(),
  );

/** The judge model and per-run budgets, as a run takes them; each spawned run gets them. Then the monitor's own fields. */
class MonitorBudgetFields extends PickType(RunMetricsFields, [
  'model',
  'max_judge_calls',
  'max_judge_tokens',
] as const) {
  @PositiveCountField(
    "Cap on the judge calls of the monitor's runs per UTC day. A scheduled fire once it is spent is skipped " +
      '(the reason is on the monitor); a run gets at most what is left as its call budget.',
  )
  max_judge_calls_per_day?: number | null;

  @PositiveCountField(
    "Cap on the judge tokens (input + output) of the monitor's runs per UTC day; as max_judge_calls_per_day.",
    Number.MAX_SAFE_INTEGER,
  )
  max_judge_tokens_per_day?: number | null;

  @ApiProperty({
    required: false,
    enum: MONITOR_SCOPES,
    default: 'new',
    description:
      "'new' (default): each run takes only matching traces ingested since the monitor's watermark (late traces with " +
      "old timestamps included), so no trace is scored twice by the monitor. 'all': every matching trace each time " +
      "(PandaProbe's behaviour).",
  })
  @IsOptional()
  @IsIn(MONITOR_SCOPES)
  scope?: MonitorScope;
}

/** POST /evaluations/monitors */
export class CreateMonitorRequest extends MonitorBudgetFields {
  @ApiProperty({ maxLength: 255, example: 'Daily production trace eval' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  name: string;

  @ApiProperty({ enum: ['TRACE', 'SESSION'], example: 'TRACE' })
  @IsIn(['TRACE', 'SESSION'], { message: "target_type must be 'TRACE' or 'SESSION'." })
  target_type: 'TRACE' | 'SESSION';

  @MetricNamesField("Metric names of the target type's registry; duplicates are removed, unknown names give 422.", [
    'task_completion',
    'confidence',
  ])
  metrics: string[];

  @RawJsonObjectField(FILTERS_DOC, { type: Object, additionalProperties: true, example: { status: 'COMPLETED' } })
  filters?: Record<string, unknown> | null;

  @SamplingRateField('Fraction of the selected targets each run evaluates (at least 1); 0 gives 422.', {
    nullable: false,
    example: 1,
  })
  sampling_rate?: number | null;

  @ApiProperty({ example: 'daily', description: CADENCE_DOC })
  @IsString()
  @MaxLength(120)
  cadence: string;

  @ApiProperty({
    required: false,
    default: true,
    description:
      "Skip a scheduled fire when no matching trace was ingested since the watermark. With scope 'new' a fire with " +
      'nothing new is always skipped (a run with zero targets is never created); the reason is on the monitor.',
  })
  @IsOptional()
  @IsBoolean()
  only_if_changed?: boolean;

  @RawJsonObjectField(SIGNAL_WEIGHTS_DOC, { nullable: true, type: Object, additionalProperties: { type: 'number' } })
  signal_weights?: Record<string, number> | null;
}

/**
 * PATCH /evaluations/monitors/{monitor_id}: every create field but target_type (sending it is a 422),
 * all optional; only the keys sent are applied (see MonitorsService.update for null).
 */
export class UpdateMonitorRequest extends PartialType(OmitType(CreateMonitorRequest, ['target_type'] as const)) {}
// Mapped types copy the validation metadata but not the raw-JSON marks: PATCH hands these over as sent too.
for (const field of ['filters', 'signal_weights']) markRawJson(UpdateMonitorRequest, field);

/** `:monitor_id` path parameter (malformed: 422). */
export class MonitorIdParams {
  @UuidField()
  monitor_id: string;
}

/** GET /evaluations/monitors */
export class ListMonitorsQueryDto extends PaginationQueryDto {
  @EnumFilter(MonitorStatus, 'MonitorStatus')
  status?: MonitorStatus;
}
