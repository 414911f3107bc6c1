import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The REST calls PandaProbe's web dashboard makes (chirpz-ai/pandaprobe, frontend/src/lib/api: 92
 * of them), each with the response fields its pages rely on: the non-optional fields of the type it
 * reads the answer as (`fields` for an object, `itemFields` for an array's or a page's items).
 * dashboard-calls.json is that list, written down from the dashboard's sources.
 */
export interface DashboardCall {
  method: string;
  path: string;
  fields?: string[];
  itemFields?: string[];
  /** Why this instance answers the call with a 4xx by design (then only the route is checked). */
  refusedHere?: string;
}

export interface CallReport {
  call: DashboardCall;
  /** Empty when the route exists with every field. */
  problems: string[];
}

type Schema = {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  allOf?: Schema[];
};
interface OpenApiDoc {
  paths: Record<
    string,
    Record<string, { responses?: Record<string, { content?: Record<string, { schema?: Schema }> }> }>
  >;
  components?: { schemas?: Record<string, Schema> };
}

export function loadDashboardCalls(): DashboardCall[] {
  // From dist/scripts/dashboard or scripts/dashboard alike: the JSON stays in the source tree.
  const root = __dirname.includes(`${join('dist', 'scripts')}`)
    ? join(__dirname, '..', '..', '..')
    : join(__dirname, '..', '..');
  return JSON.parse(
    readFileSync(join(root, 'scripts', 'dashboard', 'dashboard-calls.json'), 'utf8'),
  ) as DashboardCall[];
}

/** `/organizations/{orgId}/…` and `/organizations/{org_id}/…` are the same route. */
const shape = (path: string) => path.replace(/\{[^}]+\}/g, '{}');

function resolve(doc: OpenApiDoc, s: Schema | undefined): Schema | undefined {
  if (!s) return undefined;
  if (s.$ref) return resolve(doc, doc.components?.schemas?.[s.$ref.split('/').pop()!]);
  if (s.allOf) {
    const parts = s.allOf.map((p) => resolve(doc, p) ?? {});
    return { type: 'object', properties: Object.assign({}, ...parts.map((p) => p.properties ?? {})) };
  }
  return s;
}

const missingFields = (schema: Schema | undefined, fields: string[] | undefined, where: string) =>
  (fields ?? []).filter((f) => !schema?.properties?.[f]).map((f) => `${where} lacks '${f}'`);

/** Checks every call against an OpenAPI document: the route, the method, the fields of the 2xx answer. */
export function checkDashboardCalls(doc: OpenApiDoc, calls = loadDashboardCalls()): CallReport[] {
  // Two documented paths can share a shape (/trace-scores/{trace_id} GET, /trace-scores/{score_id} PATCH).
  const routes = new Map<string, OpenApiDoc['paths'][string]>();
  for (const [path, ops] of Object.entries(doc.paths)) routes.set(shape(path), { ...routes.get(shape(path)), ...ops });
  return calls.map((call) => {
    const ops = routes.get(shape(call.path));
    const op = ops?.[call.method.toLowerCase()];
    if (!op) return { call, problems: [ops ? `no ${call.method} on this route` : 'no such route'] };
    const ok = Object.entries(op.responses ?? {}).find(([status]) => /^2\d\d$/.test(status))?.[1];
    const body = resolve(doc, ok?.content?.['application/json']?.schema);
    const problems = missingFields(body, call.fields, 'the answer');
    const items = call.fields?.includes('items') ? resolve(doc, body?.properties?.items) : body;
    problems.push(...missingFields(resolve(doc, items?.items), call.itemFields, 'each item'));
    return { call, problems };
  });
}

/** `node dist/scripts/dashboard/check-calls.js [openapi.json]`: lists what the dashboard would miss; exit 1 if anything. */
function main(): void {
  const file = process.argv[2] ?? join(process.cwd(), 'openapi.json');
  const reports = checkDashboardCalls(JSON.parse(readFileSync(file, 'utf8')) as OpenApiDoc);
  const missing = reports.filter((r) => r.problems.length > 0);
  for (const r of missing) console.log(`MISSING ${r.call.method} ${r.call.path}: ${r.problems.join('; ')}`);
  console.log(
    `${reports.length - missing.length} of ${reports.length} dashboard calls have a route with the fields its pages read.`,
  );
  process.exitCode = missing.length > 0 ? 1 : 0;
}

if (require.main === module) main();
