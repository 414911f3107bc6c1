import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('api_keys')
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  orgId: string;

  /** SHA-256 hex of the raw key; the raw key itself is never stored. */
  @Column({ type: 'char', length: 64, select: false })
  keyHash: string;

  @Column({ type: 'varchar', length: 12 })
  keyPrefix: string;

  @Column({ type: 'varchar', length: 255 })
  name: string;

  @Column({ type: 'boolean', default: true })
  isActive: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  @Column({ type: 'uuid', nullable: true })
  createdBy: string | null;

  /** The lifetime policy a rotation copies: `expiresAt` of a rotated-out key is its grace end. */
  @Column({ type: 'varchar', length: 8, default: 'never' })
  lifetime: 'never' | '90d';

  /** The key that replaced this one when it was rotated; a key is rotated once. */
  @Column({ type: 'uuid', nullable: true })
  replacedBy: string | null;
}
