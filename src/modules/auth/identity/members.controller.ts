import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { UserAuth } from '../decorators/auth.decorator';
import { CurrentUser } from '../decorators/current-project.decorator';
import { UserContext } from '../types/project-context';
import { uuidParam } from './identity.controller';
import {
  CreateInvitationRequest,
  InvitationResponse,
  MembershipResponse,
  UpdateMemberRoleRequest,
} from './identity.dto';
import { InvitationsService } from './invitations.service';
import { MembersService } from './members.service';

@ApiTags('members')
@Controller('organizations/:org_id')
export class MembersController {
  constructor(
    private readonly members: MembersService,
    private readonly invitations: InvitationsService,
  ) {}

  @UserAuth()
  @Get('members')
  @ApiOperation({ summary: "An organization's members, oldest first (any member)" })
  @ApiOkResponse({ type: [MembershipResponse] })
  list(@CurrentUser() user: UserContext, @Param('org_id', uuidParam) orgId: string) {
    return this.members.list(user, orgId);
  }

  @UserAuth()
  @Patch('members/:user_id')
  @ApiOperation({ summary: "Change a member's role (Owner; owners are never demoted, nobody changes their own role)" })
  @ApiOkResponse({ type: MembershipResponse })
  changeRole(
    @CurrentUser() user: UserContext,
    @Param('org_id', uuidParam) orgId: string,
    @Param('user_id', uuidParam) userId: string,
    @Body() body: UpdateMemberRoleRequest,
  ) {
    return this.members.changeRole(user, orgId, userId, body.role);
  }

  @UserAuth()
  @Delete('members/:user_id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a member (Owner: ADMIN or MEMBER; Admin: MEMBER only; never an OWNER)' })
  @ApiNoContentResponse()
  remove(
    @CurrentUser() user: UserContext,
    @Param('org_id', uuidParam) orgId: string,
    @Param('user_id', uuidParam) userId: string,
  ) {
    return this.members.remove(user, orgId, userId);
  }

  // The original's 10 per hour per caller (RATE_LIMIT_INVITATIONS), instead of the default window.
  @UserAuth({ limit: 'invitations' })
  @Post('invitations')
  @ApiOperation({ summary: 'Invite someone by email for 7 days (Admin: MEMBER role only; Owner: MEMBER or ADMIN)' })
  @ApiCreatedResponse({ type: InvitationResponse })
  invite(
    @CurrentUser() user: UserContext,
    @Param('org_id', uuidParam) orgId: string,
    @Body() body: CreateInvitationRequest,
  ) {
    return this.invitations.create(user, orgId, body);
  }

  @UserAuth()
  @Get('invitations')
  @ApiOperation({ summary: "An organization's invitations, every status, newest first (any member)" })
  @ApiOkResponse({ type: [InvitationResponse] })
  listInvitations(@CurrentUser() user: UserContext, @Param('org_id', uuidParam) orgId: string) {
    return this.invitations.list(user, orgId);
  }

  @UserAuth()
  @Delete('invitations/:invitation_id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a pending invitation (Admin or Owner)' })
  @ApiNoContentResponse()
  revoke(
    @CurrentUser() user: UserContext,
    @Param('org_id', uuidParam) orgId: string,
    @Param('invitation_id', uuidParam) invitationId: string,
  ) {
    return this.invitations.revoke(user, orgId, invitationId);
  }
}
