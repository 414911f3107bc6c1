import { keyValues, listOf } from './any-value';
import type { OtlpEvent, OtlpSpan } from './otlp-model';

/** How the body was encoded: protobuf (a protobufjs message, ids as bytes) or OTLP/JSON (ids in hex). */
export type IdEncoding = 'protobuf' | 'hex';

const obj = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
const str = (value: unknown): string => (typeof value === 'string' ? value : value == null ? '' : String(value));

function idHex(value: unknown, encoding: IdEncoding): string {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  return encoding === 'hex' ? str(value).toLowerCase() : '';
}

/** OTLP/JSON may spell an enum by name; protobuf always by number. */
function enumNumber(value: unknown, names: readonly string[]): number {
  if (typeof value === 'number') return value;
  const at = names.indexOf(str(value));
  return at >= 0 ? at : Number(value) || 0;
}
const SPAN_KINDS = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
];
const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

/**
 * The spans of an ExportTraceServiceRequest (decoded protobuf or parsed OTLP/JSON), each with its
 * resource and scope. Nothing is validated here: the mapping rejects spans it cannot store.
 */
export function readExport(body: unknown, encoding: IdEncoding): OtlpSpan[] {
  const spans: OtlpSpan[] = [];
  for (const rs of listOf(obj(body).resourceSpans)) {
    const resource = keyValues(obj(obj(rs).resource).attributes);
    for (const ss of listOf(obj(rs).scopeSpans)) {
      const scopeObj = obj(obj(ss).scope);
      const scope = { name: str(scopeObj.name), version: str(scopeObj.version) };
      for (const item of listOf(obj(ss).spans)) {
        const s = obj(item);
        const status = obj(s.status);
        spans.push({
          traceId: idHex(s.traceId, encoding),
          spanId: idHex(s.spanId, encoding),
          parentSpanId: idHex(s.parentSpanId, encoding),
          name: str(s.name),
          kind: enumNumber(s.kind, SPAN_KINDS),
          startTimeUnixNano: str(s.startTimeUnixNano),
          endTimeUnixNano: str(s.endTimeUnixNano),
          attributes: keyValues(s.attributes),
          events: listOf(s.events).map(readEvent),
          status: { code: enumNumber(status.code, STATUS_CODES), message: str(status.message) },
          resource,
          scope,
        });
      }
    }
  }
  return spans;
}

function readEvent(item: unknown): OtlpEvent {
  const e = obj(item);
  return { name: str(e.name), timeUnixNano: str(e.timeUnixNano), attributes: keyValues(e.attributes) };
}
