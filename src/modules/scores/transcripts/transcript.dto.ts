import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsDefined } from 'class-validator';

/** One HTTP attempt the judge made for a score. */
export class TranscriptAttempt {
  @ApiProperty({ example: 'refund_policy.judge', description: '`metric.stage` of the request.' }) stage: string;
  @ApiProperty({ example: 'openai/gpt-4o-mini' }) model: string;
  @ApiProperty({ type: 'integer', example: 1, description: '1-based within its request; a retry counts up.' })
  attempt: number;
  @ApiProperty({ enum: ['structured', 'text'], description: 'Structured output, or the JSON asked for in the prompt.' })
  mode: 'structured' | 'text';
  @ApiProperty({ description: 'The system message.' }) system: string;
  @ApiProperty({ description: 'The user message, exactly as sent.' }) prompt: string;
  @ApiProperty({ type: String, nullable: true, description: 'The answer text; null when none came.' })
  answer: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'HTTP 500: The server had an error.' }) error: string | null;
  @ApiProperty({ type: 'integer', nullable: true }) input_tokens: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) output_tokens: number | null;
  @ApiProperty({ type: 'integer' }) latency_ms: number;
}

/** GET /evaluations/trace-scores/{score_id}/transcript. */
export class TranscriptResponse {
  @ApiProperty({ format: 'uuid' }) score_id: string;
  @ApiProperty({ format: 'uuid' }) trace_id: string;
  @ApiProperty({ example: 'task_completion' }) name: string;
  @ApiProperty({ type: String, nullable: true, example: '3', description: 'The metric version the score records.' })
  metric_version: string | null;
  @ApiProperty({
    type: [TranscriptAttempt],
    description: 'Every attempt, in the order they were made; empty when the score has no transcript.',
  })
  attempts: TranscriptAttempt[];
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When it was stored; null when none was.',
  })
  created_at: string | null;
}

/** GET/PUT /evaluations/transcript-settings. */
export class TranscriptSettings {
  @ApiProperty({
    example: true,
    description: 'Whether new judged scores of the project keep their transcript (default true).',
  })
  @IsDefined()
  @IsBoolean()
  enabled: boolean;
}
