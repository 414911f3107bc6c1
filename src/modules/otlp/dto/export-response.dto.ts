import { ApiPropertyOptional } from '@nestjs/swagger';

export class ExportTracePartialSuccessDto {
  @ApiPropertyOptional({ description: 'Spans of the request that were not stored.', example: 1 })
  rejectedSpans?: number;

  @ApiPropertyOptional({
    description: 'Why, for the first few of them.',
    example: 'span 0000000000000000: span_id must be 8 bytes, not all zero',
  })
  errorMessage?: string;
}

/** OTLP ExportTraceServiceResponse (as OTLP/JSON; the protobuf answer carries the same fields). */
export class ExportTraceServiceResponseDto {
  @ApiPropertyOptional({ type: ExportTracePartialSuccessDto, description: 'Absent when every span was stored.' })
  partialSuccess?: ExportTracePartialSuccessDto;
}

const anyValue = {
  type: 'object',
  description:
    'OTLP AnyValue: one of stringValue, boolValue, intValue, doubleValue, arrayValue, kvlistValue, bytesValue.',
};
const keyValues = {
  type: 'array',
  items: { type: 'object', properties: { key: { type: 'string' }, value: anyValue } },
};

/** The OTLP/JSON request body (ids in hex, times as nanosecond strings); protobuf bodies are the same message. */
export const OTLP_JSON_SCHEMA = {
  type: 'object',
  description: 'ExportTraceServiceRequest (OTLP/JSON, or binary protobuf with Content-Type application/x-protobuf).',
  properties: {
    resourceSpans: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          resource: { type: 'object', properties: { attributes: keyValues } },
          scopeSpans: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                scope: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' } } },
                spans: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      traceId: {
                        type: 'string',
                        description: '32 hex digits',
                        example: '5b8efff798038103d269b633813fc60c',
                      },
                      spanId: { type: 'string', description: '16 hex digits', example: 'eee19b7ec3c1b174' },
                      parentSpanId: { type: 'string', description: '16 hex digits; empty for a root span' },
                      name: { type: 'string' },
                      kind: { type: 'integer' },
                      startTimeUnixNano: { type: 'string', example: '1765000000000000000' },
                      endTimeUnixNano: { type: 'string' },
                      attributes: keyValues,
                      events: {
                        type: 'array',
                        items: {
                          type: 'object',
                          properties: {
                            name: { type: 'string' },
                            timeUnixNano: { type: 'string' },
                            attributes: keyValues,
                          },
                        },
                      },
                      status: {
                        type: 'object',
                        properties: {
                          code: { type: 'integer', description: '0 unset, 1 ok, 2 error' },
                          message: { type: 'string' },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

/** The OTLP/JSON request example of the OpenAPI document (one GenAI agent span). */
export const OTLP_JSON_EXAMPLE = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'support-agent' } }] },
      scopeSpans: [
        {
          scope: { name: 'agent' },
          spans: [
            {
              traceId: '5b8efff798038103d269b633813fc60c',
              spanId: 'eee19b7ec3c1b174',
              name: 'support-agent',
              kind: 1,
              startTimeUnixNano: '1765000000000000000',
              endTimeUnixNano: '1765000002000000000',
              attributes: [
                { key: 'gen_ai.operation.name', value: { stringValue: 'invoke_agent' } },
                { key: 'session.id', value: { stringValue: 'session-1' } },
              ],
              status: { code: 1 },
            },
          ],
        },
      ],
    },
  ],
};
