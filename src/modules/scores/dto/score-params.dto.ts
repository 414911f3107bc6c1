import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';

/** Path parameter of PATCH/DELETE; an id that is not a UUID is a 422 validation error. */
export class ScoreIdParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('loose')
  score_id: string;
}
