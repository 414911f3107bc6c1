import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import fc from 'fast-check';
import { flattenValidationErrors } from '../../../common/validation/validation';
import { TraceCreateDto } from '../dto/trace-create.dto';
import { validateSpanList, validateTraceCreate } from './ingest-validation';

/** Failing fields, without those under a field that fails as a whole (e.g. `spans` not being an array). */
function failingFields(errors: { field: string }[]): string[] {
  const fields = [...new Set(errors.map((e) => e.field))];
  return fields.filter((f) => !fields.some((other) => f.startsWith(`${other} -> `))).sort();
}

/** The reference: the decorated DTO, validated as the global pipe would, but keeping unknown keys out quietly. */
function viaDecorators(body: unknown) {
  const dto = plainToInstance(TraceCreateDto, body as object);
  const errors = flattenValidationErrors(validateSync(dto, { whitelist: true, forbidNonWhitelisted: false }));
  return { dto, fields: failingFields(errors) };
}

function viaFastPath(body: unknown) {
  const { value, errors } = validateTraceCreate(body);
  return { dto: value, fields: failingFields(errors) };
}

const uuid = 'a1b2c3d4-0002-4000-8000-000000000001';
const TIMESTAMPS = [
  '2026-11-27T02:40:44.371Z',
  '2026-11-27T02:40:32.694494+00:00',
  '2026-11-27T02:40:32',
  '2026-01-01',
  '2026-02-30T00:00:00Z',
  '2024-02-29T23:59:59.999Z',
  '2026-02-29T00:00:00.000Z',
  '2026-01-01T24:00:00.000Z',
  'nope',
  1767225600,
  null,
  '',
];
const SHORT = ['x', 'x'.repeat(255), 'x'.repeat(256), '😀'.repeat(255), '\uFE0F', '', 5, null, true];
// Surrogate pairs and variation selectors (❤️ is U+2764 U+FE0F) count as one character each.
const NAMES = [
  'ok',
  '',
  'x'.repeat(512),
  'x'.repeat(513),
  '😀'.repeat(512),
  '😀'.repeat(513),
  '❤️'.repeat(512),
  '❤️'.repeat(513),
  5,
  null,
];
const IDS = [uuid, uuid.toUpperCase(), 'not-a-uuid', 123, null, '00000000-0000-0000-0000-000000000000'];
const OBJECTS = [{}, { a: 1 }, [], 'x', 5, null];
const ANY = [{ messages: [] }, 'text', 3, [1, 2], true, null];

const spanFields: Record<string, unknown[]> = {
  span_id: IDS,
  parent_span_id: IDS,
  name: NAMES,
  kind: ['LLM', 'TOOL', 'ROBOT', 'llm', null, 1],
  status: ['OK', 'ERROR', 'FINE', null],
  input: ANY,
  output: ANY,
  model: SHORT,
  token_usage: OBJECTS,
  metadata: OBJECTS,
  started_at: TIMESTAMPS,
  ended_at: TIMESTAMPS,
  error: ['boom', '', 5, null],
  completion_start_time: TIMESTAMPS,
  model_parameters: OBJECTS,
  cost: [{ total: 1, input: 0.5 }, { total: 'x' }, {}, [], null, { total: null }, 'x'],
  unknown_key: [1],
};

const validSpan = () => ({ span_id: uuid, name: 'span', kind: 'LLM', started_at: '2026-01-01T00:00:00Z' });

const span = fc
  .record(
    Object.fromEntries(
      Object.entries(spanFields).map(([k, values]) => [k, fc.option(fc.constantFrom(...values), { nil: undefined })]),
    ),
  )
  .map((overrides) => {
    const s: Record<string, unknown> = validSpan();
    for (const [k, v] of Object.entries(overrides)) if (v !== undefined) s[k] = v;
    return s;
  });

const traceFields: Record<string, fc.Arbitrary<unknown>> = {
  trace_id: fc.constantFrom(...IDS),
  name: fc.constantFrom(...NAMES),
  status: fc.constantFrom('COMPLETED', 'ERROR', 'DONE', 'completed', null, 3),
  input: fc.constantFrom(...ANY),
  output: fc.constantFrom(...ANY),
  metadata: fc.constantFrom(...OBJECTS),
  started_at: fc.constantFrom(...TIMESTAMPS),
  ended_at: fc.constantFrom(...TIMESTAMPS),
  session_id: fc.constantFrom(...SHORT),
  user_id: fc.constantFrom(...SHORT),
  environment: fc.constantFrom(...SHORT),
  release: fc.constantFrom(...SHORT),
  tags: fc.constantFrom(
    [],
    ['a', 'b'],
    ['a', 1],
    'a',
    [''],
    ['x'.repeat(256)],
    Array(101).fill('t'),
    Array(100).fill('t'),
    null,
  ),
  spans: fc.oneof(fc.array(span, { maxLength: 3 }), fc.constantFrom(null, 'x', { a: 1 }, [])),
  sdk_future_field: fc.constant(1),
};

const trace = fc
  .record(Object.fromEntries(Object.entries(traceFields).map(([k, arb]) => [k, fc.option(arb, { nil: undefined })])))
  .map((overrides) => {
    const t: Record<string, unknown> = { name: 'trace', started_at: '2026-01-01T00:00:00Z' };
    for (const [k, v] of Object.entries(overrides)) if (v !== undefined) t[k] = v;
    return t;
  });

describe('ingestion validator', () => {
  it('accepts and rejects exactly the fields the decorated DTOs do, and yields the same values', () => {
    fc.assert(
      fc.property(trace, (body) => {
        const reference = viaDecorators(body);
        const fast = viaFastPath(body);
        expect(fast.fields).toEqual(reference.fields);
        if (reference.fields.length === 0) {
          expect(JSON.parse(JSON.stringify(fast.dto))).toEqual(JSON.parse(JSON.stringify(reference.dto)));
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('drops unknown keys and normalises timestamps to UTC microseconds', () => {
    const { value } = validateTraceCreate({
      name: 'n',
      started_at: '2026-01-01T02:00:00+02:00',
      extra: true,
      spans: [{ name: 's', started_at: '2026-01-01T00:00:00.5', extra: 1 }],
    });
    expect(value).toEqual({
      name: 'n',
      started_at: '2026-01-01T00:00:00.000000Z',
      spans: [{ name: 's', started_at: '2026-01-01T00:00:00.500000Z' }],
    });
  });

  it('reports nested fields with the same paths as the global pipe', () => {
    const { errors } = validateTraceCreate({
      name: '',
      started_at: 'x',
      spans: [{ name: 's', started_at: 'x', kind: 'NO' }],
    });
    expect(errors.map((e) => e.field)).toEqual([
      'name',
      'started_at',
      'spans -> 0 -> kind',
      'spans -> 0 -> started_at',
    ]);
  });

  it('validates a span list: 1 to 500 spans, paths relative to the array', () => {
    expect(validateSpanList([]).errors).toEqual([{ field: 'body', message: expect.any(String) }]);
    expect(validateSpanList({}).errors[0].field).toBe('body');
    expect(validateSpanList(Array(501).fill(validSpan())).errors[0].field).toBe('body');
    expect(
      validateSpanList([validSpan(), { ...validSpan(), cost: { total: 'x' } }]).errors.map((e) => e.field),
    ).toEqual(['1 -> cost']);
    expect(validateSpanList([validSpan()]).value).toEqual([
      { ...validSpan(), started_at: '2026-01-01T00:00:00.000000Z' },
    ]);
  });
});
