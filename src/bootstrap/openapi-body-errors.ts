import type { OpenAPIObject } from '@nestjs/swagger';

type Media = { schema?: unknown; examples?: Record<string, { summary: string; value: unknown }> };
type Operation = {
  requestBody?: { content?: Record<string, unknown> };
  responses: Record<string, { description?: string; content?: Record<string, Media> }>;
};

const ERROR_SCHEMA = { $ref: '#/components/schemas/ErrorResponseDto' };

/** What the pipeline answers before any route runs (src/bootstrap/configure-app.ts). */
export const BODY_TOO_LARGE = { detail: 'Request body is larger than the configured limit.' };
export const BODY_NOT_JSON = { detail: 'Content-Type must be application/json.' };

const BODY_EXAMPLE = { summary: 'Larger than BODY_LIMIT_BYTES', value: BODY_TOO_LARGE };

const errorResponse = (description: string, name: string, example: { summary: string; value: unknown }) => ({
  description,
  content: { 'application/json': { schema: ERROR_SCHEMA, examples: { [name]: example } } },
});

/**
 * Every route that takes a body can get two answers from the HTTP pipeline before its handler runs:
 * 413 for a body over BODY_LIMIT_BYTES (the JSON and OTLP parsers) and 415 for a body that is not
 * JSON (requireJsonBodies). Declared here for each such route, so that generated clients know them;
 * a route's own 413 (more spans than allowed) keeps its examples and gains the body one. Runs after
 * applyExamples, which gives each operation responses of its own. The OTLP
 * routes also take protobuf, so 415's message would mislead there: they declare no 415.
 */
export function declareBodyErrors(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as Operation[]) {
      const types = Object.keys(operation.requestBody?.content ?? {});
      if (types.length === 0) continue;
      const tooLarge = operation.responses['413']?.content?.['application/json'];
      if (tooLarge) tooLarge.examples = { body: BODY_EXAMPLE, ...tooLarge.examples };
      else operation.responses['413'] = errorResponse('The body is larger than BODY_LIMIT_BYTES.', 'body', BODY_EXAMPLE);
      if (types.every((type) => type === 'application/json')) {
        operation.responses['415'] ??= errorResponse(
          'The body is not JSON (Content-Type must be application/json).',
          'not_json',
          { summary: 'A body sent as another Content-Type', value: BODY_NOT_JSON },
        );
      }
    }
  }
  return document;
}
