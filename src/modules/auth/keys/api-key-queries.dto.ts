import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';
import { toQueryBoolean } from '../../../common/validation/query-boolean';
import { UuidField } from '../../../common/dto/fields';

export class ApiKeyParams {
  @UuidField()
  org_id: string;

  @UuidField()
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
