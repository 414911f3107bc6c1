import { ApiProperty, OmitType } from '@nestjs/swagger';
import { SessionScoreEntity } from '../entities/session-score.entity';
import { TraceScoreResponse, scoreFields } from './trace-score-response.dto';

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
    return { ...scoreFields(s), session_id: s.sessionId };
  }
}
