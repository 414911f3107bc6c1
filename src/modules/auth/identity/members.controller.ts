import { Body, Delete, Get, Patch, Post } from '@nestjs/common';
import { RateLimit } from '../decorators/auth.decorator';
import { UserController } from '../decorators/controller.decorator';
import { CurrentUser } from '../decorators/current-project.decorator';
import { UserContext } from '../types/project-context';
import {
  CreateInvitationRequest,
  InvitationResponse,
  MembershipResponse,
  UpdateMemberRoleRequest,
} from './identity.dto';
import { InvitationsService } from './invitations.service';
import { MembersService } from './members.service';
import { Answers, UuidParam } from '../../../common/http/route.decorators';

@UserController('members', 'organizations/:org_id')
export class MembersController {
  constructor(
    private readonly members: MembersService,
    private readonly invitations: InvitationsService,
  ) {}

  @Get('members')
  @Answers.ok([MembershipResponse], "An organization's members, oldest first (any member)")
  list(@CurrentUser() user: UserContext, @UuidParam('org_id') orgId: string) {
    return this.members.list(user, orgId);
  }

  @Patch('members/:user_id')
  @Answers.ok(
    MembershipResponse,
    "Change a member's role (Owner; owners are never demoted, nobody changes their own role)",
  )
  changeRole(
    @CurrentUser() user: UserContext,
    @UuidParam('org_id') orgId: string,
    @UuidParam('user_id') userId: string,
    @Body() body: UpdateMemberRoleRequest,
  ) {
    return this.members.changeRole(user, orgId, userId, body.role);
  }

  @Delete('members/:user_id')
  @Answers.noContent('Remove a member (Owner: ADMIN or MEMBER; Admin: MEMBER only; never an OWNER)')
  remove(@CurrentUser() user: UserContext, @UuidParam('org_id') orgId: string, @UuidParam('user_id') userId: string) {
    return this.members.remove(user, orgId, userId);
  }

  // The original's 10 per hour per caller (RATE_LIMIT_INVITATIONS), instead of the default window.
  @RateLimit('invitations')
  @Post('invitations')
  @Answers.created(
    InvitationResponse,
    'Invite someone by email for 7 days (Admin: MEMBER role only; Owner: MEMBER or ADMIN)',
  )
  invite(@CurrentUser() user: UserContext, @UuidParam('org_id') orgId: string, @Body() body: CreateInvitationRequest) {
    return this.invitations.create(user, orgId, body);
  }

  @Get('invitations')
  @Answers.ok([InvitationResponse], "An organization's invitations, every status, newest first (any member)")
  listInvitations(@CurrentUser() user: UserContext, @UuidParam('org_id') orgId: string) {
    return this.invitations.list(user, orgId);
  }

  @Delete('invitations/:invitation_id')
  @Answers.noContent('Revoke a pending invitation (Admin or Owner)')
  revoke(
    @CurrentUser() user: UserContext,
    @UuidParam('org_id') orgId: string,
    @UuidParam('invitation_id') invitationId: string,
  ) {
    return this.invitations.revoke(user, orgId, invitationId);
  }
}
