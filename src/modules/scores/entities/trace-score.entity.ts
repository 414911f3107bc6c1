import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

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

@Entity('trace_scores')
export class TraceScoreEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'uuid' }) traceId: string;
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
