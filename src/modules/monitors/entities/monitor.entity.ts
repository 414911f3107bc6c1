import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export enum MonitorStatus {
  ACTIVE = 'ACTIVE',
  PAUSED = 'PAUSED',
}

export const MONITOR_TARGET_TYPES = ['TRACE', 'SESSION'] as const;
export type MonitorTargetType = (typeof MONITOR_TARGET_TYPES)[number];

export const MONITOR_SCOPES = ['new', 'all'] as const;
export type MonitorScope = (typeof MONITOR_SCOPES)[number];

const nullableBigint = { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) };

@Entity('eval_monitors')
export class MonitorEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'uuid' }) projectId: string;
  @Column({ type: 'varchar', length: 255 }) name: string;
  @Column({ type: 'varchar', length: 20 }) targetType: MonitorTargetType;
  @Column({ type: 'varchar', length: 255, array: true }) metricNames: string[];
  /** SESSION monitors keep `signal_weights` inside, as the original does. */
  @Column({ type: 'jsonb', default: {} }) filters: Record<string, unknown>;
  @Column({ type: 'double precision', default: 1 }) samplingRate: number;
  /** As sent; resolved when a run is spawned. */
  @Column({ type: 'varchar', length: 255, nullable: true }) model: string | null;
  /** Normalised (see cadence.ts). */
  @Column({ type: 'varchar', length: 120 }) cadence: string;
  @Column({ type: 'boolean', default: true }) onlyIfChanged: boolean;
  @Column({ type: 'varchar', length: 10, default: 'new' }) scope: MonitorScope;
  @Column({ type: 'varchar', length: 20, default: MonitorStatus.ACTIVE }) status: MonitorStatus;
  @Column({ type: 'integer', nullable: true }) maxJudgeCalls: number | null;
  @Column({ type: 'bigint', nullable: true, transformer: nullableBigint }) maxJudgeTokens: number | null;
  @Column({ type: 'integer', nullable: true }) maxJudgeCallsPerDay: number | null;
  @Column({ type: 'bigint', nullable: true, transformer: nullableBigint }) maxJudgeTokensPerDay: number | null;
  /** Where interval cadences count their slots from. */
  @Column({ type: 'timestamptz' }) scheduleAnchor: Date;
  /** Ingestion time (traces.created_at) up to which traces have been taken. */
  @Column({ type: 'timestamptz', nullable: true }) watermark: Date | null;
  @Column({ type: 'timestamptz', nullable: true }) lastRunAt: Date | null;
  @Column({ type: 'uuid', nullable: true }) lastRunId: string | null;
  @Column({ type: 'timestamptz', nullable: true }) nextRunAt: Date | null;
  @Column({ type: 'text', nullable: true }) lastSkipReason: string | null;
  @Column({ type: 'timestamptz', nullable: true }) lastSkippedAt: Date | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
