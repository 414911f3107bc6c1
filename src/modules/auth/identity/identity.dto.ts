import { ApiProperty, ApiPropertyOptions } from '@nestjs/swagger';
import { stacked } from '../../../common/decorators';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, Length, Matches, MaxLength, ValidateIf } from 'class-validator';
import { MembershipRole } from '../entities/membership.entity';
import { UserRow } from './user-provisioning.service';

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const ROLES = Object.values(MembershipRole);

export const INVITATION_STATUSES = ['PENDING', 'ACCEPTED', 'DECLINED', 'REVOKED', 'EXPIRED'] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

/** The name rule of X-Project-Name: a renamed project stays addressable by the SDKs. */
const PROJECT_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9 _.'-]{0,253}[A-Za-z0-9])?$/;

/**
 * A text field of a PATCH body: omitted or null leaves the value unchanged, so it is trimmed and
 * checked (a string, then `checks`) only when sent with a value.
 */
const OptionalEdit = (schema: ApiPropertyOptions, ...checks: PropertyDecorator[]) =>
  stacked(
    ApiProperty({
      // Named: the property's type is `string | null`, which reflection reports as Object.
      type: String,
      required: false,
      nullable: true,
      ...schema,
      description: 'Omitted or null: unchanged.',
    } as ApiPropertyOptions),
    Transform(trim),
    ValidateIf((_object, value) => value !== undefined && value !== null),
    IsString(),
    ...checks,
  );

export class MeResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: String, nullable: true }) email: string | null;
  @ApiProperty() display_name: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time', type: String, nullable: true }) last_sign_in_at: string | null;

  static from(u: UserRow): MeResponse {
    return {
      id: u.id,
      email: u.email,
      display_name: u.display_name,
      created_at: iso(u.created_at)!,
      last_sign_in_at: iso(u.last_sign_in_at),
    };
  }
}

export interface InvitationRow {
  id: string;
  org_id: string;
  org_name: string;
  email: string;
  role: MembershipRole;
  status: InvitationStatus;
  invited_by: string | null;
  inviter_display_name: string | null;
  inviter_email: string | null;
  created_at: Date;
  expires_at: Date;
}

export class InvitationResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) org_id: string;
  @ApiProperty() org_name: string;
  @ApiProperty({ description: 'Lower-cased.' }) email: string;
  @ApiProperty({ enum: MembershipRole, enumName: 'MembershipRole' }) role: MembershipRole;
  @ApiProperty({
    enum: INVITATION_STATUSES,
    enumName: 'InvitationStatus',
    description: 'A PENDING invitation past expires_at reads EXPIRED.',
  })
  status: InvitationStatus;
  @ApiProperty({ format: 'uuid', type: String, nullable: true, description: 'The inviting user.' })
  invited_by: string | null;
  @ApiProperty({ type: String, nullable: true }) inviter_display_name: string | null;
  @ApiProperty({ type: String, nullable: true }) inviter_email: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) expires_at: string;

  static from(r: InvitationRow): InvitationResponse {
    // The row holds exactly the response's fields (INVITATION_SELECT); only the dates change form.
    return { ...r, created_at: iso(r.created_at)!, expires_at: iso(r.expires_at)! };
  }
}

export class CreateInvitationRequest {
  @ApiProperty({ minLength: 3, maxLength: 320, example: 'colleague@example.com' })
  @Transform(trim)
  @IsString()
  @Length(3, 320)
  @Matches(/^[^\s@]+@[^\s@]+$/, { message: 'email must be an email address' })
  email: string;

  @ApiProperty({ enum: MembershipRole, enumName: 'MembershipRole', required: false, default: MembershipRole.MEMBER })
  @IsOptional()
  @IsIn(ROLES)
  role?: MembershipRole;
}

export interface MembershipRow {
  id: string;
  user_id: string;
  org_id: string;
  role: MembershipRole;
  display_name: string;
  email: string | null;
  created_at: Date;
}

export class MembershipResponse {
  @ApiProperty({ format: 'uuid', description: 'The membership.' }) id: string;
  @ApiProperty({ format: 'uuid' }) user_id: string;
  @ApiProperty({ format: 'uuid' }) org_id: string;
  @ApiProperty({ enum: MembershipRole, enumName: 'MembershipRole' }) role: MembershipRole;
  @ApiProperty() display_name: string;
  @ApiProperty({ type: String, nullable: true }) email: string | null;
  @ApiProperty({ format: 'date-time', description: 'When the user joined.' }) created_at: string;

  static from(r: MembershipRow): MembershipResponse {
    return { ...r, created_at: iso(r.created_at)! };
  }
}

export class UpdateMemberRoleRequest {
  @ApiProperty({ enum: MembershipRole, enumName: 'MembershipRole' })
  @IsIn(ROLES)
  role: MembershipRole;
}

export class UpdateOrganizationRequest {
  @OptionalEdit({ minLength: 1, maxLength: 255 }, Length(1, 255))
  name?: string | null;
}

export class EditProjectRequest {
  @OptionalEdit(
    { minLength: 1, maxLength: 255 },
    Matches(PROJECT_NAME, {
      message:
        'name must be 1-255 characters, start and end with a letter or digit, and contain only letters, digits, spaces, hyphens, underscores, dots or apostrophes',
    }),
  )
  name?: string | null;

  @OptionalEdit(
    { maxLength: 2000 },
    MaxLength(2000),
    // eslint-disable-next-line no-control-regex
    Matches(/^[^\u0000-\u0008\u000b-\u001f\u007f]*$/, {
      message: 'description must not contain control characters other than newline and tab',
    }),
  )
  description?: string | null;
}

export class DeletionResponse {
  @ApiProperty({ format: 'uuid', description: 'The organization or project deleted.' }) id: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'Rows deleted per table (tables with none are left out).',
    example: { projects: 2, traces: 1200, spans: 9400, trace_scores: 300, memberships: 3, organizations: 1 },
  })
  deleted: Record<string, number>;
}
