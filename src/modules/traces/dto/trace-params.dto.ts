import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';

/** Path parameters; an id that is not a UUID is a 422 validation error. */
export class TraceIdParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('loose')
  trace_id: string;
}

export class SpanIdParams extends TraceIdParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('loose')
  span_id: string;
}
