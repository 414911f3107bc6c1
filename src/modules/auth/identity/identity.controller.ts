import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { UserAuth } from '../decorators/auth.decorator';
import { CurrentUser } from '../decorators/current-project.decorator';
import { UserContext } from '../types/project-context';
import { InvitationResponse, MeResponse, MembershipResponse } from './identity.dto';
import { InvitationsService } from './invitations.service';
import { UserProvisioningService } from './user-provisioning.service';

/** The management routes' id pipe (ids are v4, as gen_random_uuid makes them). */
export const uuidParam = new ParseUUIDPipe({ version: '4', errorHttpStatusCode: 422 });

@ApiTags('identity')
@UserAuth()
@Controller('me')
export class IdentityController {
  constructor(
    private readonly users: UserProvisioningService,
    private readonly invitations: InvitationsService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The signed-in user (created on first sight of a verified token)' })
  @ApiOkResponse({ type: MeResponse })
  async me(@CurrentUser() user: UserContext): Promise<MeResponse> {
    return MeResponse.from((await this.users.findById(user.userId))!);
  }

  @Get('invitations')
  @ApiOperation({ summary: "The caller's pending invitations (matched on the token's email), newest first" })
  @ApiOkResponse({ type: [InvitationResponse] })
  myInvitations(@CurrentUser() user: UserContext): Promise<InvitationResponse[]> {
    return this.invitations.mine(user);
  }

  @Post('invitations/:invitation_id/accept')
  @HttpCode(200)
  @ApiOperation({ summary: 'Accept an invitation addressed to the caller; answers the new membership' })
  @ApiOkResponse({ type: MembershipResponse })
  accept(
    @CurrentUser() user: UserContext,
    @Param('invitation_id', uuidParam) invitationId: string,
  ): Promise<MembershipResponse> {
    return this.invitations.accept(user, invitationId);
  }

  @Post('invitations/:invitation_id/decline')
  @HttpCode(204)
  @ApiOperation({ summary: 'Decline an invitation addressed to the caller' })
  @ApiNoContentResponse()
  decline(@CurrentUser() user: UserContext, @Param('invitation_id', uuidParam) invitationId: string): Promise<void> {
    return this.invitations.decline(user, invitationId);
  }
}
