import protobuf from 'protobufjs';

/**
 * The OTLP trace messages (opentelemetry-proto v1, stable since 1.0) as a protobufjs reflection
 * descriptor: protobufjs does all the wire decoding and encoding. No maintained npm package ships
 * the definitions any more (@opentelemetry/otlp-transformer dropped its generated protobufjs code
 * for an encode-only serialiser), so the field numbers are declared here. Only what ingestion reads
 * is declared; unknown fields (links, flags, dropped counts, schema urls) are skipped by the decoder.
 */
const field = (id: number, type: string, rule?: 'repeated') => (rule ? { id, type, rule } : { id, type });

const descriptor = {
  nested: {
    otlp: {
      nested: {
        AnyValue: {
          oneofs: {
            value: {
              oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'],
            },
          },
          fields: {
            stringValue: field(1, 'string'),
            boolValue: field(2, 'bool'),
            intValue: field(3, 'int64'),
            doubleValue: field(4, 'double'),
            arrayValue: field(5, 'ArrayValue'),
            kvlistValue: field(6, 'KeyValueList'),
            bytesValue: field(7, 'bytes'),
          },
        },
        ArrayValue: { fields: { values: field(1, 'AnyValue', 'repeated') } },
        KeyValueList: { fields: { values: field(1, 'KeyValue', 'repeated') } },
        KeyValue: { fields: { key: field(1, 'string'), value: field(2, 'AnyValue') } },
        InstrumentationScope: { fields: { name: field(1, 'string'), version: field(2, 'string') } },
        Resource: { fields: { attributes: field(1, 'KeyValue', 'repeated') } },
        Status: { fields: { message: field(2, 'string'), code: field(3, 'int32') } },
        Event: {
          fields: {
            timeUnixNano: field(1, 'fixed64'),
            name: field(2, 'string'),
            attributes: field(3, 'KeyValue', 'repeated'),
          },
        },
        Span: {
          fields: {
            traceId: field(1, 'bytes'),
            spanId: field(2, 'bytes'),
            parentSpanId: field(4, 'bytes'),
            name: field(5, 'string'),
            kind: field(6, 'int32'),
            startTimeUnixNano: field(7, 'fixed64'),
            endTimeUnixNano: field(8, 'fixed64'),
            attributes: field(9, 'KeyValue', 'repeated'),
            events: field(11, 'Event', 'repeated'),
            status: field(15, 'Status'),
          },
        },
        ScopeSpans: { fields: { scope: field(1, 'InstrumentationScope'), spans: field(2, 'Span', 'repeated') } },
        ResourceSpans: { fields: { resource: field(1, 'Resource'), scopeSpans: field(2, 'ScopeSpans', 'repeated') } },
        ExportTraceServiceRequest: { fields: { resourceSpans: field(1, 'ResourceSpans', 'repeated') } },
        ExportTracePartialSuccess: { fields: { rejectedSpans: field(1, 'int64'), errorMessage: field(2, 'string') } },
        ExportTraceServiceResponse: { fields: { partialSuccess: field(1, 'ExportTracePartialSuccess') } },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(descriptor);
const Request = root.lookupType('otlp.ExportTraceServiceRequest');
const Response = root.lookupType('otlp.ExportTraceServiceResponse');

/**
 * An ExportTraceServiceRequest as decoded by protobufjs, read as is by readExport: set fields are
 * own properties (unset ones only defaults on the prototype), bytes are Uint8Arrays, 64-bit integers
 * Long objects. No toObject copy: decoding is on the hot path of every export. Throws on bytes that
 * are not the message.
 */
export function decodeTraceRequest(body: Uint8Array): object {
  return Request.decode(body);
}

export interface PartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

/** ExportTraceServiceResponse bytes; a full success carries no partial_success. */
export function encodeTraceResponse(partial: PartialSuccess | null): Buffer {
  const message = Response.fromObject(partial ? { partialSuccess: partial } : {});
  return Buffer.from(Response.encode(message).finish());
}
