import protobuf from 'protobufjs';
import { decodeTraceRequest, encodeTraceResponse } from './otlp-proto';
import { readExport } from './read-export';

const json = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
      scopeSpans: [
        {
          scope: { name: 'lib', version: '1' },
          spans: [
            {
              traceId: '5B8EFFF798038103D269B633813FC60C',
              spanId: 'EEE19B7EC3C1B174',
              parentSpanId: '',
              name: 'op',
              kind: 'SPAN_KIND_CLIENT',
              startTimeUnixNano: '1544712660000000000',
              endTimeUnixNano: 1544712661000000000,
              attributes: [
                { key: 'i', value: { intValue: '42' } },
                { key: 'big', value: { intValue: '9007199254740993' } },
                { key: 'd', value: { doubleValue: 1.5 } },
                { key: 'b', value: { boolValue: true } },
                { key: 'a', value: { arrayValue: { values: [{ stringValue: 'x' }, { intValue: 1 }] } } },
                { key: 'kv', value: { kvlistValue: { values: [{ key: 'k', value: { stringValue: 'v' } }] } } },
                { key: '__proto__', value: { stringValue: 'no' } },
              ],
              events: [{ name: 'e', timeUnixNano: '1', attributes: [{ key: 'x', value: { stringValue: 'y' } }] }],
              status: { code: 2, message: 'failed' },
            },
          ],
        },
      ],
    },
  ],
};

describe('readExport', () => {
  it('reads OTLP/JSON: hex ids lowercased, enum names, int64 as numbers when exact, nested values', () => {
    const [span] = readExport(json, 'hex');
    expect(span).toEqual({
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      parentSpanId: '',
      name: 'op',
      kind: 3,
      startTimeUnixNano: '1544712660000000000',
      endTimeUnixNano: '1544712661000000000',
      attributes: { i: 42, big: '9007199254740993', d: 1.5, b: true, a: ['x', 1], kv: { k: 'v' } },
      events: [{ name: 'e', timeUnixNano: '1', attributes: { x: 'y' } }],
      status: { code: 2, message: 'failed' },
      resource: { 'service.name': 'svc' },
      scope: { name: 'lib', version: '1' },
    });
    expect(Object.getPrototypeOf(span.attributes)).toBe(Object.prototype);
  });

  it('reads protobuf to the same spans as the same export in JSON', () => {
    // Encoded with a second, independent protobufjs schema of the same field numbers.
    const root = protobuf.parse(`
      syntax = "proto3";
      message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6; } }
      message ArrayValue { repeated AnyValue values = 1; }
      message KeyValueList { repeated KeyValue values = 1; }
      message KeyValue { string key = 1; AnyValue value = 2; }
      message Scope { string name = 1; string version = 2; }
      message Resource { repeated KeyValue attributes = 1; }
      message Status { string message = 2; int32 code = 3; }
      message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; }
      message Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; int32 kind = 6;
        fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8; repeated KeyValue attributes = 9;
        repeated Event events = 11; Status status = 15; }
      message ScopeSpans { Scope scope = 1; repeated Span spans = 2; }
      message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
      message Req { repeated ResourceSpans resource_spans = 1; }`).root;
    const Req = root.lookupType('Req');
    const s = json.resourceSpans[0].scopeSpans[0].spans[0];
    const message = Req.fromObject({
      resourceSpans: [
        {
          resource: json.resourceSpans[0].resource,
          scopeSpans: [
            {
              scope: { name: 'lib', version: '1' },
              spans: [
                {
                  ...s,
                  traceId: Buffer.from(s.traceId, 'hex'),
                  spanId: Buffer.from(s.spanId, 'hex'),
                  parentSpanId: Buffer.alloc(0),
                  kind: 3,
                  attributes: s.attributes.filter((a) => a.key !== '__proto__'),
                },
              ],
            },
          ],
        },
      ],
    });
    const bytes = Req.encode(message).finish();
    expect(readExport(decodeTraceRequest(bytes), 'protobuf')).toEqual(readExport(json, 'hex'));
  });

  it('throws on bytes that are not a request, and encodes responses with and without partial success', () => {
    expect(() => decodeTraceRequest(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]))).toThrow();
    expect(encodeTraceResponse(null)).toHaveLength(0);
    const bytes = encodeTraceResponse({ rejectedSpans: 2, errorMessage: 'bad' });
    expect([...bytes]).toEqual([0x0a, 0x07, 0x08, 0x02, 0x12, 0x03, 0x62, 0x61, 0x64]);
  });
});
