import { Get, Post } from '@nestjs/common';
import { CurrentUser } from '../decorators/current-project.decorator';
import { UserController } from '../decorators/controller.decorator';
import { UserContext } from '../types/project-context';
import { InvitationResponse, MeResponse, MembershipResponse } from './identity.dto';
import { InvitationsService } from './invitations.service';
import { UserProvisioningService } from './user-provisioning.service';
import { Answers, UuidParam } from '../../../common/http/route.decorators';

/** The management routes' id pipe (ids are v4, as gen_random_uuid makes them). */

@UserController('identity', 'me')
export class IdentityController {
  constructor(
    private readonly users: UserProvisioningService,
    private readonly invitations: InvitationsService,
  ) {}

  @Get()
  @Answers.ok(MeResponse, 'The signed-in user (created on first sight of a verified token)')
  async me(@CurrentUser() user: UserContext): Promise<MeResponse> {
    return MeResponse.from((await this.users.findById(user.userId))!);
  }

  @Get('invitations')
  @Answers.ok([InvitationResponse], "The caller's pending invitations (matched on the token's email), newest first")
  myInvitations(@CurrentUser() user: UserContext): Promise<InvitationResponse[]> {
    return this.invitations.mine(user);
  }

  @Post('invitations/:invitation_id/accept')
  @Answers.ok(MembershipResponse, 'Accept an invitation addressed to the caller; answers the new membership')
  accept(
    @CurrentUser() user: UserContext,
    @UuidParam('invitation_id') invitationId: string,
  ): Promise<MembershipResponse> {
    return this.invitations.accept(user, invitationId);
  }

  @Post('invitations/:invitation_id/decline')
  @Answers.noContent('Decline an invitation addressed to the caller')
  decline(@CurrentUser() user: UserContext, @UuidParam('invitation_id') invitationId: string): Promise<void> {
    return this.invitations.decline(user, invitationId);
  }
}
