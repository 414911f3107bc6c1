import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsUUID } from 'class-validator';
import { toQueryBoolean } from '../../../common/validation/query-boolean';

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
  @Transform(toQueryBoolean)
  @IsBoolean()
  permanent?: boolean;
}
