import type { ApiPropertyOptions } from '@nestjs/swagger';

type SchemaList = NonNullable<Extract<ApiPropertyOptions, { oneOf?: unknown }>['oneOf']>;

/**
 * OpenAPI schema of a field that holds any JSON value (input, output). Without it the property
 * reflects as `unknown`, which Swagger documents as `type: object`, so generated clients would
 * reject strings, arrays and numbers. Spread into @ApiProperty: a combinator drops the reflected type.
 */
export const ANY_JSON: { oneOf: SchemaList } = {
  oneOf: [
    { type: 'object', additionalProperties: true },
    { type: 'array', items: {} },
    { type: 'string' },
    { type: 'number' },
    { type: 'boolean' },
  ],
};
