/**
 * One OTLP span as the mapping reads it, whichever encoding it came in: ids as lowercase hex,
 * times as nanosecond strings, attributes as plain JS values keyed by their dotted names.
 */
export type Attributes = Record<string, unknown>;

export interface OtlpEvent {
  name: string;
  timeUnixNano: string;
  attributes: Attributes;
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind number (0 unspecified … 5 consumer). */
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Attributes;
  events: OtlpEvent[];
  status: { code: number; message: string };
  resource: Attributes;
  scope: { name: string; version: string };
}
