import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ObservationColumns } from './observation.columns';
import { SpanKind, SpanStatus } from '../traces.constants';
import { TraceEntity } from './trace.entity';

/** A span; its id is unique within its trace. */
@Entity('spans')
export class SpanEntity extends ObservationColumns {
  @PrimaryColumn({ type: 'uuid' })
  traceId: string;

  @PrimaryColumn({ type: 'uuid' })
  spanId: string;

  @Column({ type: 'uuid', nullable: true })
  parentSpanId: string | null;

  @Column({ type: 'varchar', length: 20, default: 'OTHER' })
  kind: SpanKind;

  @Column({ type: 'varchar', length: 20, default: 'UNSET' })
  status: SpanStatus;

  @Column({ type: 'varchar', length: 255, nullable: true })
  model: string | null;

  @Column({ type: 'jsonb', nullable: true })
  tokenUsage: Record<string, unknown> | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  completionStartTime: Date | null;

  @Column({ type: 'jsonb', nullable: true })
  modelParameters: Record<string, unknown> | null;

  @Column({ type: 'jsonb', nullable: true })
  cost: Record<string, number> | null;

  @ManyToOne(() => TraceEntity, (trace) => trace.spans, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'trace_id', referencedColumnName: 'traceId' })
  trace?: TraceEntity;
}
