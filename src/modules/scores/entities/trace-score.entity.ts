import { Column, Entity } from 'typeorm';
import { ScoreEntityBase } from './score-base.entity';

export { ScoreDataType, ScoreSource, ScoreStatus } from './score-base.entity';

/** A score of one trace. */
@Entity('trace_scores')
export class TraceScoreEntity extends ScoreEntityBase {
  @Column({ type: 'uuid' }) traceId: string;
}
