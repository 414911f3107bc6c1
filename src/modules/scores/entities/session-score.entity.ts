import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { ScoreDataType, ScoreSource, ScoreStatus } from './trace-score.entity';

/**
 * A score of a whole session (the traces sharing a `session_id`). Same columns as a trace score
 * with `sessionId` in place of `traceId`; no foreign key to traces, so scores outlive the deletion
 * of the session's traces, as in PandaProbe.
 */
@Entity('session_scores')
export class SessionScoreEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'varchar', length: 255 }) sessionId: string;
  @Column({ type: 'uuid' }) projectId: string;
  @Column({ type: 'varchar', length: 255 }) name: string;
  @Column({ type: 'varchar', length: 20, default: ScoreDataType.NUMERIC }) dataType: ScoreDataType;
  /** Always a string on the wire (or null for a failed automated score). */
  @Column({ type: 'varchar', length: 255, nullable: true }) value: string | null;
  @Column({ type: 'varchar', length: 20 }) source: ScoreSource;
  @Column({ type: 'varchar', length: 20, default: ScoreStatus.SUCCESS }) status: ScoreStatus;
  @Column({ type: 'uuid', nullable: true }) evalRunId: string | null;
  @Column({ type: 'varchar', length: 255, nullable: true }) authorUserId: string | null;
  @Column({ type: 'text', nullable: true }) reason: string | null;
  @Column({ type: 'varchar', length: 255, nullable: true }) environment: string | null;
  @Column({ type: 'varchar', length: 255, nullable: true }) configId: string | null;
  @Column({ type: 'jsonb', default: {} }) metadata: Record<string, unknown>;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
