import fc, { Arbitrary } from 'fast-check';
import type { Schema } from '../route-table';

/**
 * fast-check arbitraries for hostile input, and schema-driven ones: values an OpenAPI schema
 * accepts (`validFor`) and values it refuses (`wrongFor`), so a request can be made invalid by
 * construction.
 */

/** SQL and LIKE metacharacters and injection classics, for filters and names. */
export const SQL_LIKE = [
  "'",
  "''",
  '"',
  ';',
  '--',
  '/*',
  '*/',
  '%',
  '_',
  '\\',
  '%%',
  '\\%',
  '\\_',
  '[a-z]',
  '%_%',
  "' OR '1'='1",
  "'; DROP TABLE traces; --",
  '1; SELECT pg_sleep(5)--',
  '$1',
  '::text',
  "E'\\x00'",
  "%' AND 1=1 --",
  '*',
  '?',
  '|',
  '~*',
  'NULL',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  '{"$gt":""}',
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  '../../etc/passwd',
];

/** Unicode oddities and control characters, NUL included. */
export const UNICODE = [
  '🐼',
  'é',
  'e\u0301',
  '\u202e',
  '\u200b',
  '\ufeff',
  'ＡＢＣ',
  '中文',
  'עברית',
  '\u{10FFFF}',
  '\ud800',
  '\udfff',
  '\u0000',
  'a\u0000b',
  '\u0001\u001f\u007f',
  '\r\n',
  '\t',
  '\\u0000',
  '\u2028\u2029',
  'İ',
  'ß',
  '\uFFFD',
];

export const nastyString: Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 3, arbitrary: fc.constantFrom(...SQL_LIKE, ...UNICODE) },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.constantFrom(...SQL_LIKE, ...UNICODE, 'a', '1', ' '), { minLength: 2, maxLength: 6 })
      .map((a) => a.join('')),
  },
  { weight: 1, arbitrary: fc.integer({ min: 256, max: 20_000 }).map((n) => 'x'.repeat(n)) },
);

/** Strings that are not valid ISO-8601 timestamps (and some that PostgreSQL alone would accept). */
export const badDate: Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '2026-13-01',
    '2026-02-30T00:00:00Z',
    '2026-01-01T25:61:61Z',
    '0000-00-00',
    'yesterday',
    'now',
    'today',
    'epoch',
    'infinity',
    '-infinity',
    '294277-01-01T00:00:00Z',
    '99999-01-01',
    '2026-01-01T00:00:00+99:00',
    '1e10',
    '',
    ' ',
    '2026/01/01',
    '01-02-2026',
    'NaN',
    '2026-01-01T00:00:00Z\u0000',
    "2026-01-01' OR 1=1 --",
    '2026-W01',
    'T',
    'Z',
  ),
  nastyString.filter((s) => Number.isNaN(Date.parse(s))),
);

/** Valid ISO-8601 timestamps over the whole range PostgreSQL stores. */
export const goodDate: Arbitrary<string> = fc
  .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

/** Strings that are not UUIDs, some of which PostgreSQL's uuid input would still take. */
export const badUuid: Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'not-a-uuid',
    '0',
    '-1',
    '..',
    '%',
    "' OR 1=1 --",
    'null',
    'a\u0000b',
    '\u0000',
    '🐼',
    'x'.repeat(300),
    '{}',
    '[]',
  ),
  fc.uuid().map((u) => u.replace(/-/g, '')), // PostgreSQL accepts this spelling; the API must not
  fc.uuid().map((u) => `{${u}}`),
  fc.uuid().map((u) => `${u}x`),
  fc.uuid().map((u) => u.slice(0, 35)),
  fc.uuid().map((u) => ` ${u}`),
  nastyString.filter((s) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)),
);

export const nastyNumber: Arbitrary<number | string> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(-1, 0, 1.5, -0.0001, 2 ** 31, 2 ** 53 + 2, 1e308, -1e308, 5e-324),
  fc.constantFrom('1e400', '99999999999999999999', '-0', '0x10', '1_000', ' 1', '1 ', 'NaN', 'Infinity', '1;'),
);

/** Nested arrays and objects, `depth` levels deep (the depths the service survives: see docs/evidence.md). */
export function nested(depth: number, leaf: unknown = 1): unknown {
  let v: unknown = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { k: v };
  return v;
}

/**
 * The deepest value built as an object (JSON.stringify in the test process overflows beyond a few
 * thousand levels); deeper values are spliced in as text: deepRawBody, withDeepField.
 */
export const MAX_FIELD_DEPTH = 1000;

export const deepValue: Arbitrary<unknown> = fc.integer({ min: 20, max: MAX_FIELD_DEPTH }).map((n) => nested(n));

/** Any JSON, hostile strings included. */
export const nastyJson: Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: nastyString },
  { weight: 1, arbitrary: nastyNumber },
  { weight: 1, arbitrary: fc.dictionary(nastyString, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.array(nastyString, { maxLength: 5 }) },
  { weight: 1, arbitrary: deepValue },
);

const isTyped = (s: Schema): boolean =>
  Boolean(s.enum) ||
  ['string', 'number', 'integer', 'boolean', 'array'].includes(s.type ?? '') ||
  (s.type === 'object' && Boolean(s.properties));

/** Values the schema accepts (strings from `str`), or any JSON for an untyped schema. */
export function validFor(
  s: Schema,
  str: Arbitrary<string> = fc.string({ maxLength: 20 }),
  depth = 0,
): Arbitrary<unknown> {
  if (s.enum) return fc.constantFrom(...s.enum);
  switch (s.type) {
    case 'string': {
      if (s.format === 'uuid') return fc.uuid();
      if (s.format === 'date-time') return goodDate;
      const min = s.minLength ?? 0;
      const max = Math.min(s.maxLength ?? 60, 60);
      return str
        .filter((v) => v.length >= min && v.length <= (s.maxLength ?? Infinity) && v.trim().length >= Math.min(min, 1))
        .map((v) => v.slice(0, Math.max(max, min)));
    }
    case 'integer':
    case 'number': {
      const min = s.minimum ?? 0;
      const max = s.maximum ?? min + 1000;
      return fc.integer({ min, max });
    }
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const minLength = s.minItems ?? 0;
      const maxLength = Math.max(minLength, Math.min(s.maxItems ?? 3, 3));
      return fc.array(validFor(s.items ?? {}, str, depth + 1), { minLength, maxLength });
    }
    case 'object':
      if (s.properties && depth < 4) return validObject(s, str, depth);
      return fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** A valid object: required properties always, optional ones sometimes. */
export function validObject(s: Schema, str?: Arbitrary<string>, depth = 0): Arbitrary<Record<string, unknown>> {
  const props = s.properties ?? {};
  const record = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, validFor(v, str, depth + 1)]));
  return fc.record(record, { requiredKeys: (s.required ?? []).filter((k) => k in props) }) as Arbitrary<
    Record<string, unknown>
  >;
}

/** Values the schema refuses, or null when nothing is certainly refused (untyped, any JSON). */
export function wrongFor(s: Schema): Arbitrary<unknown> | null {
  if (!isTyped(s)) return null;
  const notNull = <T>(a: Arbitrary<T>) => a.filter((v) => v !== null);
  const options: Arbitrary<unknown>[] = [];
  if (s.enum) {
    const allowed = new Set(s.enum.map(String));
    options.push(
      nastyString.filter((v) => !allowed.has(v)),
      fc.integer(),
      fc.constant({}),
      fc.constant([]),
    );
    return fc.oneof(...options);
  }
  switch (s.type) {
    case 'string':
      options.push(fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 3 }), fc.constant({ a: 1 }));
      if (s.format === 'uuid') options.push(badUuid);
      if (s.format === 'date-time') options.push(badDate);
      if (s.maxLength !== undefined)
        options.push(fc.integer({ min: s.maxLength + 1, max: s.maxLength + 2000 }).map((n) => 'y'.repeat(n)));
      if ((s.minLength ?? 0) >= 1) options.push(fc.constant(''));
      break;
    case 'integer':
    case 'number':
      options.push(
        nastyString.filter((v) => v.trim() === '' || Number.isNaN(Number(v))),
        fc.boolean(),
        fc.constant([]),
        fc.constant({}),
      );
      if (s.minimum !== undefined) options.push(fc.integer({ min: -1e9, max: s.minimum - 1 }));
      if (s.maximum !== undefined) options.push(fc.integer({ min: s.maximum + 1, max: s.maximum + 1e9 }));
      if (s.type === 'integer') options.push(fc.constantFrom(0.5, 1.25, 1e-7));
      break;
    case 'boolean':
      options.push(
        fc.integer({ min: 2 }),
        fc.constant([]),
        fc.constant({}),
        fc.constantFrom('maybe', 'yes please', ''),
      );
      break;
    case 'array': {
      options.push(nastyString, fc.integer(), fc.constant({ a: 1 }), fc.boolean());
      const item = s.items ? wrongFor(s.items) : null;
      if (item) options.push(fc.array(notNull(item), { minLength: 1, maxLength: 3 }));
      if (s.maxItems !== undefined && s.maxItems <= 1000 && s.items?.type === 'string') {
        const items = s.items.format === 'uuid' ? fc.uuid() : fc.string({ maxLength: 4 });
        options.push(fc.array(items, { minLength: s.maxItems + 1, maxLength: s.maxItems + 5 }));
      }
      if ((s.minItems ?? 0) >= 1) options.push(fc.constant([]));
      break;
    }
    case 'object':
      options.push(nastyString, fc.integer(), fc.constant([1, 2]), fc.boolean());
      break;
  }
  return fc.oneof(...options.map(notNull));
}

/**
 * A body the schema refuses, built from a valid one plus noise (extra keys, hostile values in
 * untyped fields) and one certain violation: a required field removed, a typed field of the
 * wrong type or out of range, the wrong top-level type. Null when the schema refuses nothing.
 */
export function invalidBody(s: Schema): Arbitrary<{ body: unknown; breaker: string }> | null {
  const breakers: Arbitrary<{ body: unknown; breaker: string }>[] = [];
  const topLevel =
    s.type === 'array'
      ? fc.oneof(fc.dictionary(nastyString, nastyJson, { maxKeys: 3 }), nastyString, fc.integer())
      : fc.oneof(fc.array(nastyJson, { minLength: 1, maxLength: 4 }), nastyString, fc.integer(), fc.boolean());
  breakers.push(topLevel.map((body) => ({ body, breaker: 'top-level type' })));
  if (s.type === 'object' && s.properties) {
    const base = validObject(s, nastyString);
    const noise = fc.dictionary(nastyString, nastyJson, { maxKeys: 3 });
    const untyped = Object.entries(s.properties)
      .filter(([, v]) => !isTyped(v))
      .map(([k]) => k);
    const withNoise = fc
      .tuple(
        base,
        noise,
        fc.subarray(untyped),
        fc.array(nastyJson, { minLength: untyped.length, maxLength: untyped.length }),
      )
      .map(([b, n, keys, values]) => {
        const out: Record<string, unknown> = { ...n, ...b };
        keys.forEach((k, i) => (out[k] = values[i]));
        return out;
      });
    for (const field of s.required ?? []) {
      breakers.push(
        withNoise.map((b) => {
          const copy = { ...b };
          delete copy[field];
          return { body: copy, breaker: `missing ${field}` };
        }),
      );
    }
    for (const [field, fs] of Object.entries(s.properties)) {
      const wrong = wrongFor(fs);
      if (wrong)
        breakers.push(
          fc.tuple(withNoise, wrong).map(([b, w]) => ({ body: { ...b, [field]: w }, breaker: `wrong ${field}` })),
        );
    }
  }
  if (s.type === 'array' && s.items?.type === 'object' && s.items.properties) {
    const item = invalidBody(s.items);
    if (item) {
      breakers.push(
        fc
          .tuple(fc.array(validObject(s.items, nastyString), { maxLength: 2 }), item, fc.nat())
          .map(([good, bad, at]) => {
            const list: unknown[] = [...good];
            list.splice(at % (good.length + 1), 0, bad.body);
            return { body: list, breaker: `item: ${bad.breaker}` };
          }),
      );
    }
  }
  return fc.oneof(...breakers);
}

/** Text that is not JSON, sent as application/json. */
export const malformedJson: Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '{',
    '}',
    '{"a":',
    '{"a":1,}',
    "{'a':1}",
    '{a:1}',
    'undefined',
    'NaN',
    '[1,2',
    '{"a":"\\x00"}',
    '{"a":"\\ud800"',
    '\u0000',
    '{"a":1}{"b":2}',
    '\ufeff{"a":1',
    '{"__proto__":{"x":1}',
    '',
  ),
  fc.json().map((j) => j.slice(0, Math.max(1, Math.floor(j.length / 2))) + '\u0000'),
  fc.string({ minLength: 1, maxLength: 50 }).filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  }),
);

/** Raw JSON nested `depth` levels deep (the whole body), from shallow to 100,000 levels. */
export const deepRawBody: Arbitrary<string> = fc
  .integer({ min: 100, max: 100_000 })
  .chain((n) => fc.constantFrom('['.repeat(n) + ']'.repeat(n), '{"a":'.repeat(n) + '1' + '}'.repeat(n)));

/** Raw JSON nested 100 to 50,000 levels deep. */
export const deepRawValue: Arbitrary<string> = fc
  .integer({ min: 100, max: 50_000 })
  .map((n) => '['.repeat(n) + '1' + ']'.repeat(n));

/** Adds a key (or an item) holding `deep` to a JSON text of an object (or array). */
export function withDeepField(jsonText: string, deep: string): string {
  if (jsonText.startsWith('{'))
    return jsonText === '{}' ? `{"zz_deep":${deep}}` : `{"zz_deep":${deep},${jsonText.slice(1)}`;
  if (jsonText.startsWith('[')) return jsonText === '[]' ? `[${deep}]` : `[${deep},${jsonText.slice(1)}`;
  return `[${deep},${jsonText}]`;
}

/** Content types the API does not parse (the JSON body then never reaches a handler as data). */
export const wrongContentType: Arbitrary<string | undefined> = fc.constantFrom(
  undefined,
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/octet-stream',
  'application/json; charset=utf-16',
  'application/json; charset=latin-1',
  'text/json',
  '*/*',
);
