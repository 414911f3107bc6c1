import { ApiProperty } from '@nestjs/swagger';
import { cadenceInterval, shownCadence } from '../cadence-display';
import { MonitorEntity } from '../entities/monitor.entity';

/** What the monitor's runs add up to (all time). */
export class MonitorRunTotals {
  @ApiProperty({ type: 'integer' }) runs: number;
  @ApiProperty({ type: 'integer' }) pending: number;
  @ApiProperty({ type: 'integer' }) running: number;
  @ApiProperty({ type: 'integer' }) completed: number;
  @ApiProperty({ type: 'integer' }) failed: number;
  @ApiProperty({ type: 'integer' }) cancelled: number;
  @ApiProperty({ type: 'integer', description: 'Runs stopped by their judge-call or judge-token budget (FAILED).' })
  budget_stopped: number;
  @ApiProperty({ type: 'integer', description: 'Targets (traces) the runs selected.' }) targets: number;
  @ApiProperty({ type: 'integer' }) judge_calls: number;
  @ApiProperty({ type: 'integer', description: 'Judge tokens, input + output.' }) judge_tokens: number;
}

export const EMPTY_TOTALS: MonitorRunTotals = {
  runs: 0,
  pending: 0,
  running: 0,
  completed: 0,
  failed: 0,
  cancelled: 0,
  budget_stopped: 0,
  targets: 0,
  judge_calls: 0,
  judge_tokens: 0,
};

/** The original's MonitorResponse, plus scope, budgets, watermark, the last skip and run totals. */
export class MonitorResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) project_id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['TRACE', 'SESSION'] }) target_type: string;
  @ApiProperty({ type: [String] }) metric_names: string[];
  @ApiProperty({ type: 'object', additionalProperties: true }) filters: Record<string, unknown>;
  @ApiProperty() sampling_rate: number;
  @ApiProperty({ type: String, nullable: true }) model: string | null;
  @ApiProperty({
    example: 'daily',
    description:
      "every_6h, daily, weekly or cron:<expr>, the values PandaProbe's dashboard knows: an every_<n>m|h interval is " +
      'shown in its cron: form on the same slot grid (UTC), and sending that form back in an update keeps the interval.',
  })
  cadence: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'every_1h',
    description: 'The exact every_<n>m|h interval behind a cron: cadence shown for it; null otherwise.',
  })
  cadence_interval: string | null;
  @ApiProperty() only_if_changed: boolean;
  @ApiProperty({ enum: ['ACTIVE', 'PAUSED'] }) status: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_run_at: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) last_run_id: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Null while PAUSED.' })
  next_run_at: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
  @ApiProperty({ enum: ['new', 'all'] }) scope: string;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Ingestion time (created_at) of the newest trace the monitor has taken; null before its first run.',
  })
  watermark: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why the last due fire created no run.' })
  last_skip_reason: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_skipped_at: string | null;
  @ApiProperty({ type: 'integer', nullable: true }) max_judge_calls: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) max_judge_tokens: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) max_judge_calls_per_day: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) max_judge_tokens_per_day: number | null;
  @ApiProperty({ type: MonitorRunTotals }) run_totals: MonitorRunTotals;

  static from(m: MonitorEntity, totals: MonitorRunTotals = EMPTY_TOTALS): MonitorResponse {
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    return {
      id: m.id,
      project_id: m.projectId,
      name: m.name,
      target_type: m.targetType,
      metric_names: m.metricNames,
      filters: m.filters ?? {},
      sampling_rate: m.samplingRate,
      model: m.model,
      cadence: shownCadence(m.cadence, m.scheduleAnchor),
      cadence_interval: cadenceInterval(m.cadence, m.scheduleAnchor),
      only_if_changed: m.onlyIfChanged,
      status: m.status,
      last_run_at: iso(m.lastRunAt),
      last_run_id: m.lastRunId,
      next_run_at: iso(m.nextRunAt),
      created_at: m.createdAt.toISOString(),
      updated_at: m.updatedAt.toISOString(),
      scope: m.scope,
      watermark: iso(m.watermark),
      last_skip_reason: m.lastSkipReason,
      last_skipped_at: iso(m.lastSkippedAt),
      max_judge_calls: m.maxJudgeCalls,
      max_judge_tokens: m.maxJudgeTokens,
      max_judge_calls_per_day: m.maxJudgeCallsPerDay,
      max_judge_tokens_per_day: m.maxJudgeTokensPerDay,
      run_totals: totals,
    };
  }
}
