import { Column, CreateDateColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export enum ScoreDataType {
  NUMERIC = 'NUMERIC',
  BOOLEAN = 'BOOLEAN',
  CATEGORICAL = 'CATEGORICAL',
}

export enum ScoreSource {
  AUTOMATED = 'AUTOMATED',
  ANNOTATION = 'ANNOTATION',
  PROGRAMMATIC = 'PROGRAMMATIC',
}

export enum ScoreStatus {
  SUCCESS = 'SUCCESS',
  FAILED = 'FAILED',
  PENDING = 'PENDING',
}

/**
 * The columns every score has, whatever it scores: declared once here, and each score table adds
 * the key of its target (`trace_id`, `session_id`). Not an entity itself: no table of its own.
 */
export abstract class ScoreEntityBase {
  @PrimaryGeneratedColumn('uuid') id: string;
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
