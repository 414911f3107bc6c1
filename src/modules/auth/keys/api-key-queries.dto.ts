import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsUUID } from 'class-validator';

/** The original's boolean spellings (pydantic's). */
const BOOLEAN_TEXT: Record<string, boolean> = {
  true: true,
  false: false,
  '1': true,
  '0': false,
  yes: true,
  no: false,
  on: true,
  off: false,
};

export class ApiKeyParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all')
  org_id: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID('all')
  key_id: string;
}

/** DELETE /organizations/{org_id}/api-keys/{key_id} */
export class DeleteApiKeyQuery {
  @ApiProperty({
    required: false,
    default: false,
    description: 'true removes the row; by default the key is revoked and stays listed with is_active false.',
  })
  @IsOptional()
  @Transform(({ value }) =>
    typeof value === 'string' && value.toLowerCase() in BOOLEAN_TEXT ? BOOLEAN_TEXT[value.toLowerCase()] : value,
  )
  @IsBoolean()
  permanent?: boolean;
}
