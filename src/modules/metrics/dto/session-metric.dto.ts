import { ApiProperty } from '@nestjs/swagger';

export class SessionMetricDto {
  @ApiProperty({ example: 'agent_reliability' })
  name: string;

  @ApiProperty({ example: 'Worst-case failure risk across a session.' })
  description: string;

  @ApiProperty({ enum: ['session'], example: 'session' })
  category: 'session';
}
