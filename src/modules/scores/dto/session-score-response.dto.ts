import { ApiProperty } from '@nestjs/swagger';
import { ScoreDataType, ScoreSource, ScoreStatus } from '../entities/trace-score.entity';
import type { SessionScoreEntity } from '../entities/session-score.entity';

/** A session score on the wire (the original's SessionScoreResponse). `value` is a string or null. */
export class SessionScoreResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() session_id: string;
  @ApiProperty({ format: 'uuid' }) project_id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ScoreDataType, enumName: 'ScoreDataType' }) data_type: ScoreDataType;
  @ApiProperty({ type: String, nullable: true, example: '0.85' }) value: string | null;
  @ApiProperty({ enum: ScoreSource, enumName: 'ScoreSource' }) source: ScoreSource;
  @ApiProperty({ enum: ScoreStatus, enumName: 'ScoreStatus' }) status: ScoreStatus;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) eval_run_id: string | null;
  @ApiProperty({ type: String, nullable: true }) author_user_id: string | null;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
  @ApiProperty({ type: String, nullable: true }) environment: string | null;
  @ApiProperty({ type: String, nullable: true }) config_id: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;

  static from(s: SessionScoreEntity): SessionScoreResponse {
    return {
      id: s.id,
      session_id: s.sessionId,
      project_id: s.projectId,
      name: s.name,
      data_type: s.dataType,
      value: s.value,
      source: s.source,
      status: s.status,
      eval_run_id: s.evalRunId,
      author_user_id: s.authorUserId,
      reason: s.reason,
      environment: s.environment,
      config_id: s.configId,
      metadata: s.metadata,
      created_at: s.createdAt.toISOString(),
      updated_at: s.updatedAt.toISOString(),
    };
  }
}
