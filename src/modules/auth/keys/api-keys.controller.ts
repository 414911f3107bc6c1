import { Delete, Get, Param, Post, Query } from '@nestjs/common';
import { ApiConflictResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../../../common/dto/error-response.dto';
import { Answers } from '../../../common/http/route.decorators';
import { CurrentUser } from '../decorators/current-project.decorator';
import { UserController } from '../decorators/controller.decorator';
import { APIKeyResponse } from '../dto/management.dto';
import { UserContext } from '../types/project-context';
import { ApiKeyParams, DeleteApiKeyQuery } from './api-key-queries.dto';
import { ApiKeyLifecycleService } from './api-key-lifecycle.service';

@UserController('organizations', 'organizations/:org_id/api-keys/:key_id')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeyLifecycleService) {}

  @Get()
  @Answers.ok(APIKeyResponse, 'One API key (never its secret)')
  get(@CurrentUser() user: UserContext, @Param() p: ApiKeyParams) {
    return this.keys.get(user, p.org_id, p.key_id);
  }

  @Post('rotate')
  @Answers.created(APIKeyResponse, {
    summary: 'Rotate an API key (Admin or Owner)',
    description:
      'Creates a key with the same name and lifetime policy (never, or 90 days from now); its secret is in this ' +
      'response only. The old key keeps working until API_KEY_ROTATION_GRACE_SECONDS (default 24 hours) from now, ' +
      'or its own earlier expiry, then is refused on every API process. A key is rotated once (409 after).',
  })
  @ApiConflictResponse({ description: 'The key was already rotated.', type: ErrorResponseDto })
  rotate(@CurrentUser() user: UserContext, @Param() p: ApiKeyParams) {
    return this.keys.rotate(user, p.org_id, p.key_id);
  }

  @Delete()
  @Answers.noContent({
    summary: 'Revoke or delete an API key (Admin or Owner); refused at once on every API process',
    description: 'Revoking is idempotent and keeps the row; permanent=true removes it.',
  })
  async delete(@CurrentUser() user: UserContext, @Param() p: ApiKeyParams, @Query() q: DeleteApiKeyQuery) {
    await this.keys.delete(user, p.org_id, p.key_id, q.permanent ?? false);
  }
}
