import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsUUID } from 'class-validator';
import { RunMetricsFields } from './create-eval-run.dto';

/** Most trace ids one batch run accepts. */
export const MAX_BATCH_RUN_TRACE_IDS = 10_000;

/** POST /evaluations/trace-runs/batch */
export class CreateBatchEvalRunDto extends RunMetricsFields {
  @ApiProperty({
    type: [String],
    format: 'uuid',
    minItems: 1,
    maxItems: MAX_BATCH_RUN_TRACE_IDS,
    description: `Traces of this project to evaluate (at most ${MAX_BATCH_RUN_TRACE_IDS}); duplicates are removed keeping the first. Unknown or foreign ids give 422.`,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH_RUN_TRACE_IDS)
  // 'loose' as ingestion: a trace id need not carry RFC version bits (OTLP trace ids never do).
  @IsUUID('loose', { each: true })
  trace_ids: string[];
}
