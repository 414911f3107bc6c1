import { ApiProperty } from '@nestjs/swagger';

export class ErrorResponseDto {
  // No example here: this schema serves every status, and each route's examples say what it answers.
  @ApiProperty({ description: 'What went wrong, for a human.' })
  detail: string;

  @ApiProperty({ required: false, description: 'Request id, on unexpected errors (also in X-Request-ID).' })
  request_id?: string;

  @ApiProperty({
    required: false,
    description: 'On 429 only: the limit that was exceeded.',
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
