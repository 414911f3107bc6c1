import { ApiProperty } from '@nestjs/swagger';
import { ScoreEntityBase } from '../entities/score-base.entity';
import { ScoreDataType, ScoreSource, ScoreStatus, TraceScoreEntity } from '../entities/trace-score.entity';

/** A trace score on the wire. `value` is always a string or null, never a number. */
export class TraceScoreResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) trace_id: string;
  @ApiProperty() name: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: '0.85',
    description: 'String-encoded; null for a failed automated score.',
  })
  value: string | null;
  @ApiProperty({ enum: ScoreStatus, enumName: 'ScoreStatus' }) status: ScoreStatus;
  @ApiProperty({ enum: ScoreSource, enumName: 'ScoreSource' }) source: ScoreSource;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'uuid' }) project_id: string;
  @ApiProperty({ enum: ScoreDataType, enumName: 'ScoreDataType' }) data_type: ScoreDataType;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) eval_run_id: string | null;
  @ApiProperty({ type: String, nullable: true }) author_user_id: string | null;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
  @ApiProperty({ type: String, nullable: true }) environment: string | null;
  @ApiProperty({ type: String, nullable: true }) config_id: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) updated_at: string;

  static from(s: TraceScoreEntity): TraceScoreResponse {
    return { ...scoreFields(s), trace_id: s.traceId, environment: s.environment, config_id: s.configId };
  }
}

/** The fields a trace score and a session score both answer with; each response adds its own. */
export function scoreFields(s: ScoreEntityBase): Omit<TraceScoreResponse, 'trace_id' | 'environment' | 'config_id'> {
  return {
    id: s.id,
    project_id: s.projectId,
    name: s.name,
    data_type: s.dataType,
    value: s.value,
    source: s.source,
    status: s.status,
    eval_run_id: s.evalRunId,
    author_user_id: s.authorUserId,
    reason: s.reason,
    metadata: s.metadata,
    created_at: s.createdAt.toISOString(),
    updated_at: s.updatedAt.toISOString(),
  };
}
