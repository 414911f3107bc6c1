import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Matches } from 'class-validator';
import { TextField, UuidField } from '../../common/dto/fields';

/** POST /cli/auth/codes: what the dashboard's /cli-login page sends once the user authorizes. */
export class CreateCliCodeRequest {
  @UuidField()
  org_id: string;

  @UuidField('The project whose name the CLI stores; the key itself is org-wide.')
  project_id: string;

  @ApiProperty({ description: 'base64url (no padding) of SHA-256 of the CLI-held code_verifier: 43 characters.' })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'code_challenge must be 43 base64url characters (S256)' })
  code_challenge: string;

  @ApiProperty({ required: false, default: 'S256', enum: ['S256'] })
  @IsOptional()
  @IsIn(['S256'], { message: "Unsupported code_challenge_method. Only 'S256' is allowed." })
  code_challenge_method?: string;

  @TextField(255, { description: "The CLI's label (its machine's hostname)." })
  label: string;

  @ApiProperty({ required: false, default: 90, enum: [90], description: 'Only a 90-day key lifetime is supported.' })
  @IsOptional()
  @IsInt()
  @IsIn([90], { message: 'Only a 90-day key lifetime is supported for the CLI.' })
  expires_days?: number;
}

export class CliCodeResponse {
  @ApiProperty({ description: 'Single use; the browser hands it to the CLI on its loopback callback.' }) code: string;
  @ApiProperty({ example: 120, description: 'Seconds the code can be exchanged.' }) expires_in: number;
}

/** POST /cli/auth/exchange: what the CLI sends (no credentials: the code and its verifier are the proof). */
export class ExchangeRequest {
  @TextField(512)
  code: string;

  @TextField(512)
  code_verifier: string;
}

export class CliCredentialsResponse {
  @ApiProperty({ description: 'A new 90-day API key; shown only here.' }) api_key: string;
  @ApiProperty({ description: 'The chosen project, for X-Project-Name.' }) project_name: string;
  @ApiProperty({ format: 'uuid' }) org_id: string;
  @ApiProperty({ format: 'uuid' }) key_id: string;
  @ApiProperty() key_prefix: string;
  @ApiProperty({ format: 'date-time' }) expires_at: string;
}
