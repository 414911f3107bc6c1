const HEX = /^[0-9a-f]+$/;
const valid = (hex: string, length: number) => hex.length === length && HEX.test(hex) && !/^0+$/.test(hex);

/** A 16-byte OTLP trace id (32 hex digits, not all zero). */
export const isTraceId = (hex: string) => valid(hex, 32);
/** An 8-byte OTLP span id (16 hex digits, not all zero). */
export const isSpanId = (hex: string) => valid(hex, 16);

/**
 * The trace id as our UUID: its 32 hex digits in 8-4-4-4-12 groups. Exact and reversible, so the
 * same OTel trace is the same trace in every export, and its id reads back in our UI and API.
 */
export const traceUuid = (hex: string) =>
  `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

/** A span id (unique within its trace, as our span ids are) as a UUID: zeros, then its 16 hex digits. */
export const spanUuid = (hex: string) => `00000000-0000-0000-${hex.slice(0, 4)}-${hex.slice(4)}`;

/** Back from our ids to the OTel spelling (for the docs and the tests). */
export const otelTraceId = (uuid: string) => uuid.replace(/-/g, '');
export const otelSpanId = (uuid: string) => uuid.replace(/-/g, '').slice(16);
