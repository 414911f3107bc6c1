import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('projects')
export class ProjectEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  orgId: string;

  @Column({ type: 'varchar', length: 255 })
  name: string;

  @Column({ type: 'text', default: '' })
  description: string;

  /** Days traces are kept; null follows RETENTION_DAYS, 0 keeps them forever (see docs/retention.md). */
  @Column({ type: 'integer', nullable: true })
  retentionDays: number | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
