import { ApiProperty } from '@nestjs/swagger';

export class ErrorResponseDto {
  @ApiProperty({ description: 'What went wrong, for a human.', example: 'Trace 6f1c… not found.' })
  detail: string;

  @ApiProperty({ required: false, description: 'Request id, on unexpected errors (also in X-Request-ID).' })
  request_id?: string;

  @ApiProperty({
    required: false,
    description: 'On 429 only: the limit that was exceeded.',
    example: 'Rate limit exceeded: 50 per 1 minute',
  })
  error?: string;
}

export class FieldErrorDto {
  @ApiProperty({ example: 'filters -> status', description: "Where the problem is; nested paths joined with ' -> '." })
  field: string;

  @ApiProperty({ example: 'status must be one of: PENDING, RUNNING, COMPLETED, ERROR' })
  message: string;
}

export class ValidationErrorResponseDto {
  @ApiProperty({ example: 'Validation error' })
  detail: string;

  @ApiProperty({ type: [FieldErrorDto], required: false })
  errors?: FieldErrorDto[];
}
