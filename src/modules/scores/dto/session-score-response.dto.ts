import { ApiProperty, OmitType } from '@nestjs/swagger';
import { SessionScoreEntity } from '../entities/session-score.entity';
import { TraceScoreResponse } from './trace-score-response.dto';

/**
 * A session score on the wire: a trace score's fields without `trace_id`, `environment` and
 * `config_id` (the original's SessionScoreResponse), with `session_id`.
 */
export class SessionScoreResponse extends OmitType(TraceScoreResponse, [
  'trace_id',
  'environment',
  'config_id',
] as const) {
  @ApiProperty({ description: 'The session id the traces share (a client label, not a UUID).' }) session_id: string;

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
      metadata: s.metadata,
      created_at: s.createdAt.toISOString(),
      updated_at: s.updatedAt.toISOString(),
    };
  }
}
