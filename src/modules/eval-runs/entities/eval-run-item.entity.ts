import { Column, Entity, PrimaryColumn } from 'typeorm';

export enum EvalRunItemState {
  PENDING = 'PENDING',
  RUNNING = 'RUNNING',
  DONE = 'DONE',
}

/**
 * The run's ledger: one row per selected target. `metricNames` null means the run's metrics. A
 * SESSION run's item carries its `sessionId`, and `traceId` is then the key `session_item_key(sessionId)`.
 */
@Entity('eval_run_items')
export class EvalRunItemEntity {
  @PrimaryColumn({ type: 'uuid' }) runId: string;
  @PrimaryColumn({ type: 'uuid' }) traceId: string;
  @Column({ type: 'varchar', length: 255, nullable: true }) sessionId: string | null;
  @Column({ type: 'varchar', length: 255, array: true, nullable: true }) metricNames: string[] | null;
  /** The Bull job (slice of the run) the item belongs to. */
  @Column({ type: 'integer', default: 0 }) slice: number;
  @Column({ type: 'varchar', length: 16, default: EvalRunItemState.PENDING }) state: EvalRunItemState;
  @Column({ type: 'integer', default: 0 }) attempts: number;
  @Column({ type: 'text', nullable: true }) lastError: string | null;
  @Column({ type: 'uuid', nullable: true }) leaseToken: string | null;
  @Column({ type: 'timestamptz', nullable: true }) leaseExpiresAt: Date | null;
  @Column({ type: 'timestamptz', default: () => 'now()' }) updatedAt: Date;
  /** A filtered session run's item: the session's matching traces when it was taken (count, newest ingestion). */
  @Column({ type: 'integer', nullable: true }) sessionTraceCount: number | null;
  @Column({ type: 'timestamptz', nullable: true }) sessionNewestTraceAt: Date | null;
}
