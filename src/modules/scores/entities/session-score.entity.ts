import { Column, Entity } from 'typeorm';
import { ScoreEntityBase } from './score-base.entity';

/**
 * A score of a whole session (the traces sharing a `session_id`): a score's columns with
 * `sessionId` as its target; no foreign key to traces, so scores outlive the deletion of the
 * session's traces, as in PandaProbe.
 */
@Entity('session_scores')
export class SessionScoreEntity extends ScoreEntityBase {
  @Column({ type: 'varchar', length: 255 }) sessionId: string;
}
