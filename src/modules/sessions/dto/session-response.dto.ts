import { ApiProperty } from '@nestjs/swagger';
import { TraceResponseDto } from '../../traces/dto/trace-response.dto';

const TIMESTAMP = 'ISO-8601 in UTC with microseconds, e.g. 2026-02-23T11:15:00.123000Z';

/** The aggregates of one session, over ALL its traces (filters of the list never narrow them). */
export class SessionSummary {
  @ApiProperty() session_id: string;
  @ApiProperty({ type: 'integer' }) trace_count: number;
  @ApiProperty({ description: `started_at of the session's first trace. ${TIMESTAMP}` }) first_trace_at: string;
  @ApiProperty({ type: String, nullable: true, description: `started_at of the session's last trace. ${TIMESTAMP}` })
  last_trace_at: string | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'Duration of the session in ms: the latest end (ended_at, or started_at for a trace without one) minus the ' +
      'first start. Null when no trace of the session has ended.',
  })
  total_latency_ms: number | null;
  @ApiProperty({ description: 'True when any trace of the session has status ERROR.' }) has_error: boolean;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The user of the earliest trace that names one (see user_ids for all of them).',
  })
  user_id: string | null;
  @ApiProperty({ type: [String], description: 'Every user of the session, sorted (ours; not in PandaProbe).' })
  user_ids: string[];
  @ApiProperty({ type: [String], description: 'Union of the tags of the session’s traces, sorted.' }) tags: string[];
  @ApiProperty({ type: 'integer', default: 0 }) total_span_count: number;
  @ApiProperty({ type: 'integer', default: 0, description: 'Σ prompt_tokens + completion_tokens over the spans.' })
  total_tokens: number;
  @ApiProperty({ default: 0, description: 'Σ cost.total over the spans.' }) total_cost: number;
}

export class SessionDetail extends SessionSummary {
  @ApiProperty({
    type: [TraceResponseDto],
    description: 'One page of the session’s traces with their spans, oldest first (started_at, then trace_id).',
  })
  traces: TraceResponseDto[];
}

export class SessionDeleteResponse {
  @ApiProperty({ type: 'integer', description: 'Traces deleted (with their spans).' }) deleted: number;
}

export class SessionAnalyticsBucket {
  @ApiProperty({
    example: '2026-01-15T00:00:00+00:00',
    description: 'Start of the bucket: local time in the requested zone, with its offset.',
  })
  bucket: string;
  @ApiProperty({ type: 'integer', default: 0, description: 'Sessions whose first trace started in the bucket.' })
  session_count: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Null in a bucket without sessions.' })
  avg_traces_per_session: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Mean total_latency_ms of the bucket’s sessions that have one.',
  })
  avg_session_duration_ms: number | null;
}
