import { Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ErrorResponseDto } from '../../../common/dto/error-response.dto';
import { UserAuth } from '../decorators/auth.decorator';
import { CurrentUser } from '../decorators/current-project.decorator';
import { APIKeyResponse } from '../dto/management.dto';
import { UserContext } from '../types/project-context';
import { ApiKeyParams, DeleteApiKeyQuery } from './api-key-queries.dto';
import { ApiKeyLifecycleService } from './api-key-lifecycle.service';

@ApiTags('organizations')
@UserAuth()
@Controller('organizations/:org_id/api-keys/:key_id')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeyLifecycleService) {}

  @Get()
  @ApiOperation({ summary: 'One API key (never its secret)' })
  @ApiOkResponse({ type: APIKeyResponse })
  get(@CurrentUser() user: UserContext, @Param() p: ApiKeyParams) {
    return this.keys.get(user, p.org_id, p.key_id);
  }

  @Post('rotate')
  @ApiOperation({
    summary: 'Rotate an API key (Admin or Owner)',
    description:
      'Creates a key with the same name and lifetime policy (never, or 90 days from now); its secret is in this ' +
      'response only. The old key keeps working until API_KEY_ROTATION_GRACE_SECONDS (default 24 hours) from now, ' +
      'or its own earlier expiry, then is refused on every API process. A key is rotated once (409 after).',
  })
  @ApiCreatedResponse({ type: APIKeyResponse })
  @ApiConflictResponse({ description: 'The key was already rotated.', type: ErrorResponseDto })
  rotate(@CurrentUser() user: UserContext, @Param() p: ApiKeyParams) {
    return this.keys.rotate(user, p.org_id, p.key_id);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({
    summary: 'Revoke or delete an API key (Admin or Owner); refused at once on every API process',
    description: 'Revoking is idempotent and keeps the row; permanent=true removes it.',
  })
  @ApiNoContentResponse()
  async delete(@CurrentUser() user: UserContext, @Param() p: ApiKeyParams, @Query() q: DeleteApiKeyQuery) {
    await this.keys.delete(user, p.org_id, p.key_id, q.permanent ?? false);
  }
}
