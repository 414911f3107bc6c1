import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type RouteAuth, routeAuthTable } from './route-auth';

const modules = join(__dirname, '..', 'modules');

/** Every *.controller.ts below src/modules. */
function controllerFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return controllerFiles(path);
    return entry.name.endsWith('.controller.ts') ? [path] : [];
  });
}

/** Routes without a guard, each protected otherwise or public on purpose. */
const UNGUARDED: Record<string, string> = {
  'HealthController.live': 'probes, public',
  'HealthController.ready': 'probes, public',
  'RootController.index': 'a pointer to /docs, public',
  'MetricsController.scrape': 'the Prometheus scrape (operators/), not in the document',
  'JudgeController.listAllProviders': "ADMIN_TOKEN middleware (MetricsApiModule's admin/judge-providers)",
};

/** Which guards a route runs, in order, and the one named limit they apply. */
const CHAINS = new Set([
  'ProjectAuthGuard,RateLimitGuard', // @Auth(), ProjectController
  'ProjectAuthGuard,IngestRateGuard', // @Auth({ limit: 'ingest' })
  'BearerAuthGuard,RateLimitGuard', // @UserAuth(), UserController
  'RateLimitGuard', // @PublicRoute(limit)
]);

describe('route auth (every controller under src/modules)', () => {
  let table: RouteAuth[] = [];
  beforeAll(async () => {
    table = routeAuthTable(await Promise.all(controllerFiles(modules).map((file) => import(file))));
  });

  it('finds the routes', () => {
    expect(table.length).toBeGreaterThan(80);
  });

  it('guards every route with one credential check and one limiter, in that order, or lists why not', () => {
    const unexpected = table
      .filter((r) => !CHAINS.has(r.guards.join(',')) && !(r.guards.length === 0 && r.route in UNGUARDED))
      .map((r) => `${r.route}: ${r.guards.join(',') || 'no guard'}`);
    expect(unexpected).toEqual([]);
    const listed = new Set(table.filter((r) => r.guards.length === 0).map((r) => r.route));
    expect(Object.keys(UNGUARDED).filter((route) => !listed.has(route))).toEqual([]);
  });

  it('applies exactly one named limit, the one the document names (x-rate-limit), by the guard for it', () => {
    const wrong = table
      .filter((r) => r.guards.length > 0)
      .filter((r) => {
        const bucket = r.guards.at(-1) === 'IngestRateGuard';
        return r.windows.length !== 1 || r.windows[0] !== r.documented || bucket !== (r.documented === 'ingest');
      })
      .map(
        (r) =>
          `${r.route}: ${r.guards.join(',')} applying ${r.windows.join('+') || 'none'}, documented ${r.documented ?? '-'}`,
      );
    expect(wrong).toEqual([]);
  });
});
