import { ApiProperty } from '@nestjs/swagger';
import { EvalRunEntity, EvalRunStatus } from '../entities/eval-run.entity';

/** What judging a run has cost so far, summed over its finished traces. */
export class EvalRunJudgeUsage {
  @ApiProperty({ type: 'integer', description: 'Judge HTTP calls, retries included.' }) calls: number;
  @ApiProperty({ type: 'integer' }) input_tokens: number;
  @ApiProperty({ type: 'integer' }) output_tokens: number;
  @ApiProperty({ type: 'integer', description: 'Sum of the latencies of the judge calls, ms.' }) latency_ms: number;
  @ApiProperty({
    type: 'integer',
    description:
      'Scores whose judge provider reported no token counts (e.g. Gemini embeddings): their tokens are unknown and not in input_tokens/output_tokens.',
  })
  unknown_token_scores: number;
}

/**
 * An eval run on the wire. Keeps every key and type of the original EvalRunResponse (counts are
 * integers, `filters` an object, `model` string|null) and adds `total_traces`, `succeeded_count`,
 * `sampling_seed`, `started_at`, `judge_usage` and the budgets. `status` adds CANCELLED.
 */
export class EvalRunResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: String, nullable: true }) name: string | null;
  @ApiProperty({ enum: EvalRunStatus, enumName: 'EvaluationStatus' }) status: EvalRunStatus;
  @ApiProperty({ type: [String] }) metric_names: string[];
  @ApiProperty({
    type: 'integer',
    description:
      'Number of targets in the run (traces; sessions for a SESSION run), not targets × metrics; fixed at creation.',
  })
  total_targets: number;
  @ApiProperty({ type: 'integer', description: 'Same value as total_targets (the name used by the published docs).' })
  total_traces: number;
  @ApiProperty({
    type: 'integer',
    description:
      'Targets finished so far (traces, or sessions), including deleted ones and those whose metrics all failed.',
  })
  evaluated_count: number;
  @ApiProperty({
    type: 'integer',
    description: 'Failed (target, metric) pairs; can exceed total_targets. A SESSION run counts session metrics only.',
  })
  failed_count: number;
  @ApiProperty({ type: 'integer', description: 'Succeeded (target, metric) pairs.' })
  succeeded_count: number;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When a worker started the run.' })
  started_at: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) completed_at: string | null;
  @ApiProperty({ format: 'uuid' }) project_id: string;
  @ApiProperty({ example: 'TRACE', description: 'TRACE or SESSION.' }) target_type: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'Filters as sent (nulls dropped); batch runs: {trace_ids} or {session_ids}; retries: {retry_of, trace_ids | session_ids}; SESSION runs add signal_weights when given.',
  })
  filters: Record<string, unknown>;
  @ApiProperty({ type: 'number' }) sampling_rate: number;
  @ApiProperty({
    type: 'integer',
    description: 'Seed of the deterministic sample; send it back to reproduce the sample.',
  })
  sampling_seed: number;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'openai/gpt-4o-mini',
    description: 'The resolved judge model.',
  })
  model: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) monitor_id: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Set only when the run is FAILED: a run-level fault, or the budget it reached.',
  })
  error_message: string | null;
  @ApiProperty({ type: EvalRunJudgeUsage }) judge_usage: EvalRunJudgeUsage;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Judge-call budget; null: unlimited.' })
  max_judge_calls: number | null;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'Judge-token budget (input + output); null: unlimited.',
  })
  max_judge_tokens: number | null;

  static from(r: EvalRunEntity): EvalRunResponse {
    return {
      id: r.id,
      name: r.name,
      status: r.status,
      metric_names: r.metricNames,
      total_targets: r.totalTargets,
      total_traces: r.totalTargets,
      evaluated_count: r.evaluatedCount,
      failed_count: r.failedCount,
      succeeded_count: r.succeededCount,
      created_at: r.createdAt.toISOString(),
      started_at: r.startedAt ? r.startedAt.toISOString() : null,
      completed_at: r.completedAt ? r.completedAt.toISOString() : null,
      project_id: r.projectId,
      target_type: r.targetType,
      filters: r.filters ?? {},
      sampling_rate: r.samplingRate,
      sampling_seed: r.samplingSeed,
      model: r.model,
      monitor_id: r.monitorId,
      error_message: r.errorMessage,
      judge_usage: {
        calls: r.judgeCalls,
        input_tokens: r.judgeInputTokens,
        output_tokens: r.judgeOutputTokens,
        latency_ms: r.judgeLatencyMs,
        unknown_token_scores: r.judgeUnknownUsage,
      },
      max_judge_calls: r.maxJudgeCalls,
      max_judge_tokens: r.maxJudgeTokens,
    };
  }
}
