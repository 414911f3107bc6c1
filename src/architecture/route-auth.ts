import { GUARDS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { RATE_LIMITS } from '../modules/auth/guards/rate-limit.guard';

/** What @nestjs/throttler and @nestjs/swagger record (their constants are not exported). */
const THROTTLER_SKIP = 'THROTTLER:SKIP';
const API_EXTENSION = 'swagger/apiExtension';

export interface RouteAuth {
  /** `Controller.method`. */
  route: string;
  /** The guards Nest runs for the route, in order: the controller's, then the handler's. */
  guards: string[];
  /** The named limits the route's throttler guard does not skip (handler first, then controller). */
  windows: string[];
  /** The route's `x-rate-limit` in the OpenAPI document, if it has one. */
  documented?: string;
}

type Fn = (...args: unknown[]) => unknown;

const names = (guards: unknown[] | undefined): string[] => (guards ?? []).map((g) => (g as Fn).name);

/** A controller's route handlers, its own and inherited (a route factory's), by method name. */
function handlers(controller: Fn): [string, Fn][] {
  const found = new Map<string, Fn>();
  for (let proto = controller.prototype as object; proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const value = Object.getOwnPropertyDescriptor(proto, key)?.value as unknown;
      if (key === 'constructor' || found.has(key) || typeof value !== 'function') continue;
      if (Reflect.getMetadata(METHOD_METADATA, value) !== undefined) found.set(key, value as Fn);
    }
  }
  return [...found];
}

/**
 * Every route of the controllers the modules export, read the way Nest's guard context and the
 * throttler guard read them: the guards it runs, the limits they apply, the limit the document names.
 */
export function routeAuthTable(modules: Record<string, unknown>[]): RouteAuth[] {
  const reflector = new Reflector();
  const controllers = modules
    .flatMap((m) => Object.values(m))
    .filter((v): v is Fn => typeof v === 'function' && Reflect.getMetadata(PATH_METADATA, v) !== undefined);
  return controllers.flatMap((controller) =>
    handlers(controller).map(([method, handler]) => {
      const skipped = (limit: string) =>
        reflector.getAllAndOverride<boolean | undefined>(THROTTLER_SKIP + limit, [handler, controller]);
      const extensions = Reflect.getMetadata(API_EXTENSION, handler) as Record<string, string> | undefined;
      return {
        route: `${controller.name}.${method}`,
        guards: [
          ...names(Reflect.getMetadata(GUARDS_METADATA, controller)),
          ...names(Reflect.getMetadata(GUARDS_METADATA, handler)),
        ],
        windows: RATE_LIMITS.filter((limit) => !skipped(limit)),
        documented: extensions?.['x-rate-limit'],
      };
    }),
  );
}
