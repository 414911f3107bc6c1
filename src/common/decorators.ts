import { applyDecorators, Type } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, getSchemaPath } from '@nestjs/swagger';

/** Documents a `{items, total, limit, offset}` page of `model`. */
export function ApiPaginatedResponse(model: Type<unknown>, description?: string) {
  return applyDecorators(
    ApiExtraModels(model),
    ApiOkResponse({
      description,
      schema: {
        type: 'object',
        required: ['items', 'total', 'limit', 'offset'],
        properties: {
          items: { type: 'array', items: { $ref: getSchemaPath(model) } },
          total: { type: 'integer' },
          limit: { type: 'integer' },
          offset: { type: 'integer' },
        },
      },
    }),
  );
}

/**
 * Composes decorators written top-down as they would be stacked on a member, applied bottom-up as
 * stacked decorators are: the same metadata order (validation messages, OpenAPI) as writing them out.
 */
export function stacked(...decorators: Array<MethodDecorator | PropertyDecorator | ClassDecorator>) {
  return applyDecorators(...[...decorators].reverse());
}
