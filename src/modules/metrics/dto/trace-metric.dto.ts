import { ApiProperty } from '@nestjs/swagger';

export class TraceMetricDto {
  @ApiProperty({ example: 'task_completion' })
  name: string;

  @ApiProperty({ example: 'Judges whether the agent achieved what the user asked for.' })
  description: string;

  @ApiProperty({
    enum: ['trace', 'custom'],
    example: 'trace',
    description: "`trace` for the built-in metrics, `custom` for the project's own (GET /evaluations/custom-metrics).",
  })
  category: 'trace' | 'custom';
}
