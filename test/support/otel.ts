import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { randomBytes } from 'node:crypto';
import { BatchSpanProcessor, SimpleSpanProcessor, TracerProvider, type IdGenerator } from '@opentelemetry/sdk-trace';
import type { Tenant } from './tenancy';

export type OtlpProtocol = 'proto' | 'json';

/**
 * A real OpenTelemetry SDK tracer provider exporting to the app with the official OTLP/HTTP exporter,
 * authenticated as an exporter configured by OTEL_EXPORTER_OTLP_HEADERS would be. `simple` exports
 * each span as it ends (children before parents, one export each); otherwise spans are batched.
 */
export function otelProvider(
  baseUrl: string,
  tenant: Pick<Tenant, 'headers'>,
  opts: {
    protocol?: OtlpProtocol;
    simple?: boolean;
    path?: string;
    resource?: Record<string, string>;
    idGenerator?: IdGenerator;
  } = {},
): TracerProvider {
  const Exporter = opts.protocol === 'json' ? JsonExporter : ProtoExporter;
  const exporter = new Exporter({ url: `${baseUrl}${opts.path ?? '/v1/traces'}`, headers: tenant.headers });
  const processor = opts.simple ? new SimpleSpanProcessor({ exporter }) : new BatchSpanProcessor({ exporter });
  return new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'otel-e2e', ...opts.resource }),
    spanProcessors: [processor],
    idGenerator: opts.idGenerator,
  });
}

/** Our trace id for an OTel trace id (docs/otlp.md). */
export const traceUuidOf = (hex: string) =>
  `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
export const spanUuidOf = (hex: string) => `00000000-0000-0000-${hex.slice(0, 4)}-${hex.slice(4)}`;

/** Trace ids whose UUID form has no RFC version (nibble 13 is 0), as many OTel trace ids are. */
export const versionlessIds: IdGenerator = {
  generateTraceId: () => {
    const hex = randomBytes(16).toString('hex');
    return `${hex.slice(0, 12)}0${hex.slice(13)}`;
  },
  generateSpanId: () => randomBytes(8).toString('hex'),
};
