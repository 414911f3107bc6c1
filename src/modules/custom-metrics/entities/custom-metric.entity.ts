import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export enum CustomOutputType {
  NUMERIC = 'NUMERIC',
  BOOLEAN = 'BOOLEAN',
  CATEGORICAL = 'CATEGORICAL',
}

/** A few-shot example: what the judge is shown, and the answer it should give. */
export interface CustomMetricExample {
  input: string;
  value: number | boolean | string;
  reason?: string | null;
}

/** A project's own metric: its name and description; what the judge does lives in its versions. */
@Entity('custom_metrics')
export class CustomMetricEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'uuid' }) projectId: string;
  @Column({ type: 'varchar', length: 64 }) name: string;
  @Column({ type: 'text', default: '' }) description: string;
  @Column({ type: 'integer' }) latestVersion: number;
  /** Set by DELETE; the row stays so a metric re-created under this name continues its versions. */
  @Column({ type: 'timestamptz', nullable: true }) deletedAt: Date | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}

/** One immutable definition of a custom metric: everything that decides what the judge sees and answers. */
@Entity('custom_metric_versions')
export class CustomMetricVersionEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'uuid' }) metricId: string;
  @Column({ type: 'uuid' }) projectId: string;
  @Column({ type: 'integer' }) version: number;
  @Column({ type: 'text' }) promptTemplate: string;
  @Column({ type: 'varchar', length: 20 }) outputType: CustomOutputType;
  @Column({ type: 'text', array: true, nullable: true }) labels: string[] | null;
  @Column({ type: 'text', array: true, nullable: true }) successLabels: string[] | null;
  @Column({ type: 'double precision', nullable: true }) threshold: number | null;
  @Column({ type: 'varchar', length: 255, nullable: true }) model: string | null;
  @Column({ type: 'jsonb', default: [] }) examples: CustomMetricExample[];
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}
