import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { ApiKeyEntity } from '../entities/api-key.entity';
import { MembershipRole } from '../entities/membership.entity';
import { OrganizationEntity } from '../entities/organization.entity';
import { ProjectEntity } from '../entities/project.entity';
import { TextField } from '../../../common/dto/fields';

const RETENTION_DOC =
  'Days traces are kept (by started_at) before the worker deletes them with their spans and scores; ' +
  '0 keeps them forever; null follows the server default (RETENTION_DAYS).';

export class CreateOrganizationRequest {
  @TextField(255)
  name: string;
}

export class OrganizationResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ enum: MembershipRole, enumName: 'MembershipRole', required: false }) role?: MembershipRole;

  static from(org: OrganizationEntity, role?: MembershipRole): OrganizationResponse {
    return { id: org.id, name: org.name, created_at: org.createdAt.toISOString(), ...(role ? { role } : {}) };
  }
}

export class CreateProjectRequest {
  @TextField(255)
  name: string;

  @ApiProperty({ required: false, maxLength: 2000, default: '' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;
}

export class ProjectResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) org_id: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ type: Number, nullable: true, description: RETENTION_DOC }) retention_days: number | null;

  static from(p: ProjectEntity): ProjectResponse {
    return {
      id: p.id,
      org_id: p.orgId,
      name: p.name,
      description: p.description,
      created_at: p.createdAt.toISOString(),
      retention_days: p.retentionDays ?? null,
    };
  }
}

/** PATCH /projects/current: the project's own settings. */
export class UpdateProjectRequest {
  @ApiProperty({ type: Number, nullable: true, minimum: 0, maximum: 36500, description: RETENTION_DOC })
  @ValidateIf((o: UpdateProjectRequest) => o.retention_days !== null)
  @IsInt()
  @Min(0)
  @Max(36500)
  retention_days: number | null;
}

export class CreateAPIKeyRequest {
  @TextField(255, { description: 'A label for the key.' })
  name: string;

  @ApiProperty({ enum: ['never', '90d'], enumName: 'KeyExpiration', default: 'never', required: false })
  @IsOptional()
  @IsIn(['never', '90d'])
  expiration?: 'never' | '90d';
}

export class APIKeyResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) org_id: string;
  @ApiProperty({ description: 'First 10 characters of the key, to recognise it.' }) key_prefix: string;
  @ApiProperty() name: string;
  @ApiProperty({ description: 'False once revoked or expired.' }) is_active: boolean;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) expires_at: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) last_used_at: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The secret, shown only in the creation response.' })
  raw_key: string | null;

  static from(k: ApiKeyEntity, rawKey: string | null = null): APIKeyResponse {
    const expired = k.expiresAt !== null && k.expiresAt.getTime() <= Date.now();
    return {
      id: k.id,
      org_id: k.orgId,
      key_prefix: k.keyPrefix,
      name: k.name,
      is_active: k.isActive && !expired,
      created_at: k.createdAt.toISOString(),
      expires_at: k.expiresAt?.toISOString() ?? null,
      last_used_at: k.lastUsedAt?.toISOString() ?? null,
      raw_key: rawKey,
    };
  }
}
