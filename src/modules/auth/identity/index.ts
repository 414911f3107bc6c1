import { IdentityController } from './identity.controller';
import { InvitationsService } from './invitations.service';
import { MembersController } from './members.controller';
import { MembersService } from './members.service';
import { OrgAccess } from './org-access';
import { OrgAdminService } from './org-admin.service';
import { OrganizationAdminController } from './organization-admin.controller';
import { PurgeService } from './purge.service';
import { RequestIdentityService } from './request-identity.service';
import { UserProvisioningService } from './user-provisioning.service';

/** Identity, organizations, members, invitations, project administration (docs/identity.md). */
export const IDENTITY_CONTROLLERS = [IdentityController, OrganizationAdminController, MembersController];
export const IDENTITY_PROVIDERS = [
  UserProvisioningService,
  RequestIdentityService,
  OrgAccess,
  OrgAdminService,
  MembersService,
  InvitationsService,
  PurgeService,
];
