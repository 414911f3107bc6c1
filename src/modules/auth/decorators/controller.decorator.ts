import { Controller } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { stacked } from '../../../common/decorators';
import { Auth, UserAuth } from './auth.decorator';

/** A controller whose every route is a data-plane route (`@Auth()`): its OpenAPI tag and its path. */
export const ProjectController = (tag: string, path: string) => stacked(ApiTags(tag), Auth(), Controller(path));

/** A controller whose every route is a management route (`@UserAuth()`): its OpenAPI tag and its path. */
export const UserController = (tag: string, path: string) => stacked(ApiTags(tag), UserAuth(), Controller(path));
