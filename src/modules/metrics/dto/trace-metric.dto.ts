import { ApiProperty } from '@nestjs/swagger';

export class TraceMetricDto {
  @ApiProperty({ example: 'task_completion' })
  name: string;

  @ApiProperty({ example: 'Judges whether the agent achieved what the user asked for.' })
  description: string;

  @ApiProperty({ enum: ['trace'], example: 'trace' })
  category: 'trace';
}
