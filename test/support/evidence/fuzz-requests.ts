import fc, { Arbitrary } from 'fast-check';
import type { Param, Route } from '../route-table';
import type { RawRequest } from './http';
import {
  badUuid,
  deepRawBody,
  deepRawValue,
  invalidBody,
  malformedJson,
  nastyJson,
  nastyNumber,
  nastyString,
  validFor,
  wrongContentType,
  withDeepField,
  wrongFor,
} from './fuzz-arbitraries';

/** What the fuzzer may use: ids that exist in the fuzzed project and working credentials. */
export interface FuzzContext {
  /** Existing ids by path-parameter name (trace_id, span_id, run_id, score_id, org_id, key_id...). */
  ids: Record<string, string[]>;
  /** Working credentials for project routes (API key + X-Project-Name, Bearer + X-Project-ID). */
  projectCredentials: Record<string, string>[];
  /** Working credentials for management routes (Bearer of an OWNER). */
  userCredentials: Record<string, string>[];
  /** Credentials that must be refused (401, or 422/404 for an unusable project header). */
  badProjectCredentials: Record<string, string>[];
  badUserCredentials: Record<string, string>[];
  bodyLimitBytes: number;
}

export interface FuzzCase {
  mode: string;
  req: RawRequest;
}

/** Header-safe hostile strings (Node refuses control characters in header values). */
const headerString: Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary-ascii', maxLength: 40 }).map((s) => s.replace(/[^\t\x20-\x7e]/g, '')),
  fc.constantFrom("' OR 1=1 --", '%00', '%', '\\', 'caf\xe9', 'x'.repeat(2000)),
);

/** encodeURIComponent that survives lone surrogates (they become U+FFFD, as a browser would send them). */
export const encode = (s: string): string =>
  encodeURIComponent(s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));

/** A query string from [name, value] pairs; arrays repeat the key, objects use bracket syntax. */
export function queryString(pairs: [string, unknown][], raw: string[] = []): string {
  const parts: string[] = [];
  const add = (k: string, v: unknown) => {
    if (Array.isArray(v)) v.forEach((x) => add(k, x));
    else if (v && typeof v === 'object') Object.entries(v).forEach(([kk, vv]) => add(`${k}[${kk}]`, vv));
    // Values are cut at 1,500 characters so that the request line stays under Node's 16 KB limit and reaches the app.
    else parts.push(`${encode(k.slice(0, 1500))}=${encode(String(v).slice(0, 1500))}`);
  };
  for (const [k, v] of pairs) add(k, v);
  return [...parts, ...raw].length ? `?${[...parts, ...raw].join('&')}` : '';
}

const fill = (path: string, values: Record<string, string>) =>
  path.replace(/\{([^}]+)\}/g, (_, n: string) => values[n]);

type IdKind = 'existing' | 'random' | 'garbage';

/** Path values: existing ids (only where allowed), fresh random UUIDs, or strings that are not ids. */
function pathValues(ctx: FuzzContext, params: Param[], kinds: IdKind[]): Arbitrary<Record<string, string>> {
  if (params.length === 0) return fc.constant({});
  const one = (p: Param): Arbitrary<string> => {
    const pool = ctx.ids[p.name] ?? [];
    const options: Arbitrary<string>[] = [];
    if (kinds.includes('existing') && pool.length) options.push(fc.constantFrom(...pool));
    if (kinds.includes('random')) options.push(fc.uuid());
    if (kinds.includes('garbage'))
      options.push(badUuid.map(encode), fc.constantFrom('%E0%A4%A', '%', '%00', '%2e%2e', 'a%2Fb'));
    return options.length ? fc.oneof(...options) : fc.uuid();
  };
  const encoded = (p: Param) => one(p).map((v) => (kinds.includes('garbage') ? v : encode(v)));
  return fc.record(Object.fromEntries(params.map((p) => [p.name, encoded(p)]))) as Arbitrary<Record<string, string>>;
}

/** Garbage path values: at least one parameter is not an id. */
function garbagePath(ctx: FuzzContext, params: Param[]): Arbitrary<Record<string, string>> {
  return fc
    .tuple(pathValues(ctx, params, ['random']), fc.nat({ max: params.length - 1 }), badUuid)
    .map(([values, i, bad]) => ({
      ...values,
      [params[i].name]: encode(bad),
    }));
}

function credentials(ctx: FuzzContext, route: Route, valid: boolean): Arbitrary<Record<string, string>> {
  if (route.auth === 'none') return fc.constant({});
  const pool =
    route.auth === 'project'
      ? valid
        ? ctx.projectCredentials
        : ctx.badProjectCredentials
      : valid
        ? ctx.userCredentials
        : ctx.badUserCredentials;
  return fc.constantFrom(...pool);
}

/** Query pairs with valid values for the declared parameters. */
function validQuery(query: Param[]): Arbitrary<[string, unknown][]> {
  if (query.length === 0) return fc.constant([]);
  return fc
    .subarray(query)
    .chain((ps) =>
      ps.length
        ? fc.tuple(
            ...ps.map((p) =>
              validFor(p.schema, fc.string({ maxLength: 12 })).map((v) => [p.name, v] as [string, unknown]),
            ),
          )
        : fc.constant([]),
    );
}

/** Query pairs with hostile values: wrong types, repeated keys, nested objects, NUL, SQL and LIKE metacharacters, unknown keys. */
function nastyQuery(query: Param[]): Arbitrary<{ pairs: [string, unknown][]; raw: string[] }> {
  const value = (p: Param): Arbitrary<unknown> =>
    fc.oneof(
      { weight: 3, arbitrary: nastyString },
      { weight: 1, arbitrary: nastyNumber },
      { weight: 2, arbitrary: validFor(p.schema, nastyString) },
      { weight: 2, arbitrary: wrongFor(p.schema) ?? nastyString },
      { weight: 1, arbitrary: fc.array(nastyString, { minLength: 2, maxLength: 3 }) },
      {
        weight: 1,
        arbitrary: fc.dictionary(fc.constantFrom('a', '$gt', '0', '__proto__'), nastyString, {
          minKeys: 1,
          maxKeys: 2,
        }),
      },
    );
  const declared = query.length
    ? fc
        .subarray(query, { minLength: 1 })
        .chain((ps) => fc.tuple(...ps.map((p) => value(p).map((v) => [p.name, v] as [string, unknown]))))
    : fc.constant([] as [string, unknown][]);
  const unknown = fc.array(
    fc.tuple(
      nastyString.filter((s) => s.length > 0),
      nastyString,
    ),
    { maxLength: 2 },
  );
  const raw = fc.subarray(['%E0%A4%A', 'limit', '=', '&&', 'a=%00', '%00=1', 'name=%', 'tags[]=x', 'limit[0]=1'], {
    maxLength: 2,
  });
  return fc
    .tuple(declared, unknown, raw, fc.boolean())
    .map(([d, u, r, withUnknown]) => ({ pairs: withUnknown || d.length === 0 ? [...d, ...u] : d, raw: r }));
}

const json = (headers: Record<string, string>, body: unknown): Partial<RawRequest> => ({
  headers: { ...headers, 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

/**
 * Requests for one route. Read routes get valid and hostile requests; write routes get only
 * requests that must change nothing: an invalid body (by construction), a path id that is not an
 * id or names nothing, unusable credentials, malformed JSON, a wrong content type, an oversized or
 * absurdly nested body. Existing ids are only combined with a certainly invalid body.
 */
export function requestsFor(route: Route, ctx: FuzzContext): Arbitrary<FuzzCase> {
  const pathParams = route.params.filter((p) => p.in === 'path');
  const query = route.params.filter((p) => p.in === 'query');
  const headerParams = route.params.filter((p) => p.in === 'header');
  const extraHeaders: Arbitrary<Record<string, string>> = headerParams.length
    ? fc
        .option(fc.record({ 'X-Request-ID': fc.oneof(fc.uuid(), headerString) }), { nil: {} as Record<string, string> })
        .map((h) => h ?? {})
    : fc.constant({});
  const make = (
    mode: string,
    parts: Arbitrary<{
      path: Record<string, string>;
      query?: string;
      headers: Record<string, string>;
      extra?: Partial<RawRequest>;
    }>,
  ) =>
    fc.tuple(parts, extraHeaders).map(([p, h]) => ({
      mode,
      req: {
        method: route.method,
        path: fill(route.path, p.path) + (p.query ?? ''),
        headers: { ...h, ...p.headers, ...(p.extra?.headers ?? {}) },
        body: p.extra?.body,
      },
    }));
  const cases: { weight: number; arbitrary: Arbitrary<FuzzCase> }[] = [];
  const add = (weight: number, arbitrary: Arbitrary<FuzzCase>) =>
    cases.push({ weight: Math.round(weight * 10), arbitrary });

  if (!route.write) {
    add(
      4,
      make(
        'valid read',
        fc.record({
          path: pathValues(ctx, pathParams, ['existing', 'existing', 'random'] as IdKind[]),
          headers: credentials(ctx, route, true),
          query: validQuery(query).map((q) => queryString(q)),
        }),
      ),
    );
    add(
      6,
      make(
        'hostile query',
        fc.record({
          path: pathValues(ctx, pathParams, ['existing', 'random']),
          headers: credentials(ctx, route, true),
          query: nastyQuery(query).map((q) => queryString(q.pairs, q.raw)),
        }),
      ),
    );
    if (pathParams.length)
      add(
        2,
        make('bad path id', fc.record({ path: garbagePath(ctx, pathParams), headers: credentials(ctx, route, true) })),
      );
    if (route.auth !== 'none')
      add(
        1,
        make(
          'bad credentials',
          fc.record({ path: pathValues(ctx, pathParams, ['existing']), headers: credentials(ctx, route, false) }),
        ),
      );
    add(
      1,
      make(
        'body on a read',
        fc.record({
          path: pathValues(ctx, pathParams, ['existing', 'random']),
          headers: credentials(ctx, route, true),
          extra: fc.oneof(
            nastyJson.map((b) => ({
              headers: { 'Content-Type': 'application/json' },
              body: JSON.stringify(b) ?? 'null',
            })),
            malformedJson.map((b) => ({ headers: { 'Content-Type': 'application/json' }, body: b })),
          ),
        }),
      ),
    );
    return fc.oneof(...cases);
  }

  const body = route.body ? invalidBody(route.body) : null;
  const anyBody: Arbitrary<unknown> = route.body ? fc.oneof(validFor(route.body, nastyString), nastyJson) : nastyJson;
  if (body) {
    add(
      8,
      make(
        'invalid body',
        fc.record({
          path: pathValues(ctx, pathParams, ['existing', 'random']),
          headers: credentials(ctx, route, true),
          extra: body.map((b) => json({}, b.body)),
        }),
      ),
    );
    add(
      1,
      make(
        'invalid body + deep field',
        fc.record({
          path: pathValues(ctx, pathParams, ['existing', 'random']),
          headers: credentials(ctx, route, true),
          extra: fc.tuple(body, deepRawValue).map(([b, deep]): Partial<RawRequest> => ({
            headers: { 'Content-Type': 'application/json' },
            body: withDeepField(JSON.stringify(b.body), deep),
          })),
        }),
      ),
    );
    add(
      1,
      make(
        'invalid body + 1 MB string',
        fc.record({
          path: pathValues(ctx, pathParams, ['existing', 'random']),
          headers: credentials(ctx, route, true),
          extra: fc
            .tuple(body, fc.integer({ min: 1_000_000, max: Math.min(1_100_000, ctx.bodyLimitBytes - 10_000) }))
            .map(([b, n]) => {
              const big = 'é'.repeat(n / 2);
              const withBig = Array.isArray(b.body)
                ? [...b.body, big]
                : b.body && typeof b.body === 'object'
                  ? { ...b.body, zz_big: big }
                  : [b.body, big];
              return json({}, withBig);
            }),
        }),
      ),
    );
  }
  if (pathParams.length) {
    add(
      3,
      make(
        'bad path id',
        fc.record({
          path: garbagePath(ctx, pathParams),
          headers: credentials(ctx, route, true),
          extra: anyBody.map((b) => json({}, b)),
        }),
      ),
    );
    add(
      3,
      make(
        'unknown id',
        fc.record({
          path: pathValues(ctx, pathParams, ['random']),
          headers: credentials(ctx, route, true),
          extra: anyBody.map((b) => json({}, b)),
        }),
      ),
    );
    if (query.length) {
      add(
        1,
        make(
          'hostile query, unknown id',
          fc.record({
            path: pathValues(ctx, pathParams, ['random', 'garbage']),
            headers: credentials(ctx, route, true),
            query: nastyQuery(query).map((q) => queryString(q.pairs, q.raw)),
          }),
        ),
      );
    }
  }
  // Existing ids with a body that may be valid: only when the credentials are refused.
  if (route.auth !== 'none') {
    add(
      2,
      make(
        'bad credentials',
        fc.record({
          path: pathValues(ctx, pathParams, ['existing']),
          headers: credentials(ctx, route, false),
          extra: anyBody.map((b) => json({}, b)),
        }),
      ),
    );
  }
  if (route.body) {
    const safeIds: IdKind[] = pathParams.length ? ['random', 'garbage'] : [];
    add(
      2,
      make(
        'malformed JSON',
        fc.record({
          path: pathValues(ctx, pathParams, ['existing', 'random']),
          headers: credentials(ctx, route, true),
          extra: malformedJson.map((b) => ({ headers: { 'Content-Type': 'application/json' }, body: b })),
        }),
      ),
    );
    add(
      1,
      make(
        'deep JSON body',
        fc.record({
          path: pathValues(ctx, pathParams, ['existing', 'random']),
          headers: credentials(ctx, route, true),
          extra: deepRawBody.map((b) => ({ headers: { 'Content-Type': 'application/json' }, body: b })),
        }),
      ),
    );
    // Unparsed content types leave the handler an empty body: safe only where an empty body is invalid or the id names nothing.
    if (pathParams.length || (route.body.required ?? []).length > 0) {
      add(
        2,
        make(
          'wrong content type',
          fc.record({
            path: pathValues(ctx, pathParams, safeIds),
            headers: credentials(ctx, route, true),
            extra: fc
              .tuple(wrongContentType, validFor(route.body, nastyString))
              .map(([type, b]): Partial<RawRequest> => ({
                headers: type ? { 'Content-Type': type } : {},
                body: type?.startsWith('application/x-www') ? 'name=x&trace_id=y' : JSON.stringify(b),
              })),
          }),
        ),
      );
    }
    add(
      0.3,
      make(
        'body over the limit',
        fc.record({
          path: pathValues(ctx, pathParams, ['existing', 'random']),
          headers: credentials(ctx, route, true),
          extra: fc
            .integer({ min: ctx.bodyLimitBytes + 1, max: ctx.bodyLimitBytes + 200_000 })
            .map((n) => ({ headers: { 'Content-Type': 'application/json' }, body: `{"name":"${'z'.repeat(n)}"}` })),
        }),
      ),
    );
  }
  if (cases.length === 0)
    add(
      1,
      make(
        'no-op',
        fc.record({ path: pathValues(ctx, pathParams, ['random']), headers: credentials(ctx, route, true) }),
      ),
    );
  return fc.oneof(...cases);
}
