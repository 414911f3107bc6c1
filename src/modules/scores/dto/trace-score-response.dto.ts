import { ApiProperty } from '@nestjs/swagger';
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
    return {
      id: s.id,
      trace_id: s.traceId,
      name: s.name,
      value: s.value,
      status: s.status,
      source: s.source,
      created_at: s.createdAt.toISOString(),
      project_id: s.projectId,
      data_type: s.dataType,
      eval_run_id: s.evalRunId,
      author_user_id: s.authorUserId,
      reason: s.reason,
      environment: s.environment,
      config_id: s.configId,
      metadata: s.metadata,
      updated_at: s.updatedAt.toISOString(),
    };
  }
}
