import { Column } from 'typeorm';

/**
 * The columns a trace and each of its spans have alike: what ran, on what and with what result,
 * its metadata, and when. Not an entity: TraceEntity and SpanEntity each map them on their table.
 */
export abstract class ObservationColumns {
  @Column({ type: 'varchar', length: 512 })
  name: string;

  @Column({ type: 'jsonb', nullable: true })
  input: unknown;

  @Column({ type: 'jsonb', nullable: true })
  output: unknown;

  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  metadata: Record<string, unknown>;

  @Column({ type: 'timestamptz' })
  startedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  endedAt: Date | null;
}
