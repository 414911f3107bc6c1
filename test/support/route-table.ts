import type { TestApp } from './test-app';

/**
 * The app's own route table, for evidence tests that must cover every route without a hand-kept
 * list: the OpenAPI document the running app serves (paths, parameters, body schemas, security,
 * documented statuses), checked against the routes Express actually dispatches, so a route that
 * is missing from the document is noticed too.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A JSON schema as @nestjs/swagger emits it, with every $ref resolved. */
export interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  nullable?: boolean;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  additionalProperties?: boolean | Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  [key: string]: unknown;
}

export interface Param {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Schema;
}

/** Which credentials a route takes, read from its `security` requirements. */
export type RouteAuth = 'project' | 'user' | 'none';

export interface Route {
  method: HttpMethod;
  /** OpenAPI template, e.g. `/traces/{trace_id}`. */
  path: string;
  operationId: string;
  params: Param[];
  body?: Schema;
  bodyRequired: boolean;
  auth: RouteAuth;
  /** Statuses the document declares for the operation. */
  statuses: number[];
  /** Everything but GET/HEAD: requests to it may change data. */
  write: boolean;
}

type OpenApiDoc = {
  paths: Record<string, Record<string, any>>;
  components?: { schemas?: Record<string, Schema> };
};

function resolve(doc: OpenApiDoc, schema: any, seen: Set<string> = new Set()): Schema {
  if (!schema || typeof schema !== 'object') return schema;
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace('#/components/schemas/', '');
    if (seen.has(name)) return {};
    const target = doc.components?.schemas?.[name];
    if (!target) throw new Error(`Unresolvable $ref ${schema.$ref}`);
    return resolve(doc, target, new Set([...seen, name]));
  }
  const out: Schema = { ...schema };
  if (schema.items) out.items = resolve(doc, schema.items, seen);
  if (schema.properties) {
    out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, resolve(doc, v, seen)]));
  }
  for (const key of ['allOf', 'oneOf', 'anyOf'] as const) {
    if (Array.isArray(schema[key])) out[key] = schema[key].map((s: unknown) => resolve(doc, s, seen));
  }
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    out.additionalProperties = resolve(doc, schema.additionalProperties, seen);
  }
  // A single-entry allOf is how a $ref with siblings is spelled: fold it in.
  if (out.allOf?.length === 1 && !out.type) {
    const [only] = out.allOf;
    delete out.allOf;
    return { ...only, ...out };
  }
  return out;
}

function authOf(security: Record<string, string[]>[] | undefined): RouteAuth {
  if (!security || security.length === 0) return 'none';
  const names = security.flatMap((s) => Object.keys(s));
  if (names.includes('ApiKey') || names.includes('ProjectID')) return 'project';
  if (names.includes('Bearer')) return 'user';
  return 'none';
}

/** Reads the routes from the document the running app serves at /openapi.json. */
export async function loadRouteTable(t: Pick<TestApp, 'http'>): Promise<Route[]> {
  const res = await t.http.get('/openapi.json').expect(200);
  return routesFromDocument(res.body as OpenApiDoc);
}

export function routesFromDocument(doc: OpenApiDoc): Route[] {
  const routes: Route[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params: Param[] = (op.parameters ?? []).map((p: any) => ({
        name: p.name,
        in: p.in,
        required: Boolean(p.required),
        schema: resolve(doc, p.schema ?? {}),
      }));
      const json = op.requestBody?.content?.['application/json'];
      routes.push({
        method: method.toUpperCase() as HttpMethod,
        path,
        operationId: op.operationId,
        params,
        body: json?.schema ? resolve(doc, json.schema) : undefined,
        bodyRequired: Boolean(op.requestBody?.required),
        auth: authOf(op.security),
        statuses: Object.keys(op.responses ?? {})
          .map(Number)
          .filter((n) => Number.isInteger(n)),
        write: method !== 'get',
      });
    }
  }
  return routes;
}

export const routeName = (r: Pick<Route, 'method' | 'path'>): string => `${r.method} ${r.path}`;

/** `/traces/{trace_id}` → `/traces/:trace_id`, Express's spelling. */
export const expressPath = (path: string): string => path.replace(/\{([^}]+)\}/g, ':$1');

/** Substitutes path parameters (URL-encoded). */
export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`No value for path parameter ${name} of ${path}`);
    return encodeURIComponent(values[name]);
  });
}

export interface DispatchedRoute {
  method: HttpMethod;
  /** Express path, e.g. `/traces/:trace_id`. */
  path: string;
}

/** The routes Express dispatches (Nest registers every controller method on the app router). */
export function dispatchedRoutes(t: Pick<TestApp, 'app'>): DispatchedRoute[] {
  const express = t.app.getHttpAdapter().getInstance() as { router?: { stack: any[] }; _router?: { stack: any[] } };
  const stack = (express.router ?? express._router)?.stack ?? [];
  const out: DispatchedRoute[] = [];
  for (const layer of stack) {
    const route = layer.route as { path: string | string[]; methods: Record<string, boolean> } | undefined;
    if (!route) continue;
    for (const path of Array.isArray(route.path) ? route.path : [route.path]) {
      for (const [m, on] of Object.entries(route.methods)) {
        if (on && m !== '_all') out.push({ method: m.toUpperCase() as HttpMethod, path });
      }
    }
  }
  return out;
}

/**
 * Routes outside the public API document on purpose: operator and documentation endpoints. Each is
 * still fuzzed (generically) by the fuzz test; this list only says they need no OpenAPI entry.
 */
// Operator routes behind ADMIN_TOKEN (/metrics, the full providers view) are not part of the tenant API.
export const UNDOCUMENTED_ROUTES: readonly string[] = [
  'GET /metrics',
  'GET /admin/judge-providers',
  'GET /openapi.json',
  'GET /',
];

/** Nest's catch-all (answers 404 for unknown paths) and Swagger UI's assets under /docs. */
const isInfrastructure = (d: DispatchedRoute): boolean =>
  d.path.includes('*splat') || d.path === '/docs' || d.path.startsWith('/docs/');

/**
 * Dispatched routes missing from the document (and not on the list above): a route added without
 * documentation. Evidence tests fail on these so that a new route cannot escape them.
 */
export function undocumentedRoutes(routes: Route[], dispatched: DispatchedRoute[]): DispatchedRoute[] {
  const documented = new Set(routes.map((r) => `${r.method} ${expressPath(r.path)}`));
  return dispatched.filter(
    (d) =>
      !isInfrastructure(d) &&
      !documented.has(`${d.method} ${d.path}`) &&
      !UNDOCUMENTED_ROUTES.includes(`${d.method} ${d.path}`),
  );
}

/** Routes served outside the document on purpose (UNDOCUMENTED_ROUTES) that are actually dispatched. */
export function knownUndocumentedRoutes(dispatched: DispatchedRoute[]): DispatchedRoute[] {
  return dispatched.filter((d) => UNDOCUMENTED_ROUTES.includes(`${d.method} ${d.path}`));
}
