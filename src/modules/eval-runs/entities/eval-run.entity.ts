import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export enum EvalRunStatus {
  PENDING = 'PENDING',
  RUNNING = 'RUNNING',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}

/** Statuses a run never leaves. */
export const TERMINAL_STATUSES: readonly EvalRunStatus[] = [
  EvalRunStatus.COMPLETED,
  EvalRunStatus.FAILED,
  EvalRunStatus.CANCELLED,
];

/** Why a run stopped before its items were done, when the reason is not an error of its own. */
export enum RunStopReason {
  BUDGET = 'BUDGET',
}

/** bigint columns come back from pg as strings; these are small enough for a JS number. */
const bigintAsNumber = { to: (v: number) => v, from: (v: string | null) => (v === null ? 0 : Number(v)) };

@Entity('eval_runs')
export class EvalRunEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'uuid' }) projectId: string;
  @Column({ type: 'varchar', length: 255, nullable: true }) name: string | null;
  @Column({ type: 'varchar', length: 20, default: 'TRACE' }) targetType: string;
  @Column({ type: 'varchar', length: 255, array: true }) metricNames: string[];
  @Column({ type: 'jsonb', default: {} }) filters: Record<string, unknown>;
  @Column({ type: 'double precision', default: 1 }) samplingRate: number;
  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber }) samplingSeed: number;
  @Column({ type: 'varchar', length: 255, nullable: true }) model: string | null;
  @Column({ type: 'varchar', length: 20, default: EvalRunStatus.PENDING }) status: EvalRunStatus;
  @Column({ type: 'integer', default: 0 }) totalTargets: number;
  @Column({ type: 'integer', default: 0 }) evaluatedCount: number;
  @Column({ type: 'integer', default: 0 }) failedCount: number;
  @Column({ type: 'integer', default: 0 }) succeededCount: number;
  @Column({ type: 'integer', default: 0 }) judgeCalls: number;
  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber }) judgeInputTokens: number;
  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber }) judgeOutputTokens: number;
  @Column({ type: 'bigint', default: 0, transformer: bigintAsNumber }) judgeLatencyMs: number;
  /** Scores whose provider reported no token counts: left out of judgeInput/OutputTokens. */
  @Column({ type: 'integer', default: 0 }) judgeUnknownUsage: number;
  @Column({ type: 'text', nullable: true }) errorMessage: string | null;
  @Column({ type: 'varchar', length: 20, nullable: true }) stopReason: RunStopReason | null;
  @Column({ type: 'uuid', nullable: true }) monitorId: string | null;
  /** Bull jobs the run is cut into (ledger items carry their slice number). */
  @Column({ type: 'integer', default: 1 }) sliceCount: number;
  @Column({ type: 'integer', nullable: true }) maxJudgeCalls: number | null;
  @Column({
    type: 'bigint',
    nullable: true,
    transformer: { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) },
  })
  maxJudgeTokens: number | null;
  /** The run this one retries. */
  @Column({ type: 'uuid', nullable: true }) retryOf: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @Column({ type: 'timestamptz', nullable: true }) startedAt: Date | null;
  @Column({ type: 'timestamptz', nullable: true }) completedAt: Date | null;
}
