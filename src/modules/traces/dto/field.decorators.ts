import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiPropertyOptions } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, IsUUID, Length, MaxLength } from 'class-validator';
import { stacked } from '../../../common/decorators';
import { MAX_NAME_LENGTH, MAX_SHORT_TEXT_LENGTH, MAX_TAGS } from '../traces.constants';
import { ANY_JSON } from './any-json.schema';
import { IsJsonObject, IsNumberRecord, IsTimestamp, KeepRawJson } from './validators';

/** Fields shared by the trace and span bodies: documentation and validation declared together. */

/** An optional, nullable string of at most 255 characters (session_id, user_id, model, ...). */
export const OptionalShortText = () =>
  applyDecorators(
    ApiPropertyOptional({ type: String, maxLength: MAX_SHORT_TEXT_LENGTH, nullable: true }),
    IsOptional(),
    IsString(),
    MaxLength(MAX_SHORT_TEXT_LENGTH),
  );

/** An optional, nullable ISO-8601 timestamp, normalised to UTC. */
export const OptionalTimestamp = (description?: string) =>
  applyDecorators(
    ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, ...(description ? { description } : {}) }),
    IsOptional(),
    IsTimestamp(),
  );

/** Any JSON value (input, output). */
export const AnyJson = (description: string) =>
  applyDecorators(ApiPropertyOptional({ ...ANY_JSON, description, nullable: true }), IsOptional(), KeepRawJson());

/** An optional JSON object (metadata, token_usage, model_parameters). */
export const OptionalJsonObject = (options: Omit<ApiPropertyOptions, 'type'> = {}) =>
  applyDecorators(
    ApiPropertyOptional({ type: 'object', additionalProperties: true, ...options } as ApiPropertyOptions),
    IsOptional(),
    IsJsonObject(),
  );

// The decorators below keep the order in which the stacks they replace were written (see `stacked`),
// so validation messages come in the same order.

/** A client-chosen UUID (trace_id, span_id, parent_span_id), optional. */
export const OptionalClientId = (schema: ApiPropertyOptions) =>
  stacked(
    ApiPropertyOptional({ type: String, format: 'uuid', ...schema } as ApiPropertyOptions),
    IsOptional(),
    IsUUID('loose'),
  );

/** `name`: required on a create body. */
export const RequiredName = () =>
  stacked(ApiProperty({ minLength: 1, maxLength: MAX_NAME_LENGTH }), IsString(), Length(1, MAX_NAME_LENGTH));

/** `name` on an update body: optional (null is ignored). */
export const UpdatedName = () =>
  stacked(
    ApiPropertyOptional({ type: String, minLength: 1, maxLength: MAX_NAME_LENGTH, nullable: true }),
    IsOptional(),
    IsString(),
    Length(1, MAX_NAME_LENGTH),
  );

/** One of `values` (status, kind), optional; `schema` adds its default or nullability. */
export const OptionalOneOf = (values: readonly string[], schema: ApiPropertyOptions) =>
  stacked(ApiPropertyOptional({ enum: values, ...schema } as ApiPropertyOptions), IsOptional(), IsIn(values));

/** `started_at`: required on a create body. */
export const RequiredTimestamp = () =>
  stacked(ApiProperty({ format: 'date-time', description: 'ISO-8601; without an offset it is UTC.' }), IsTimestamp());

/** `tags`: at most MAX_TAGS short texts. */
export const TagsField = (schema: ApiPropertyOptions) =>
  stacked(
    ApiPropertyOptional({ type: [String], maxItems: MAX_TAGS, ...schema } as ApiPropertyOptions),
    IsOptional(),
    IsArray(),
    ArrayMaxSize(MAX_TAGS),
    IsString({ each: true }),
    Length(1, MAX_SHORT_TEXT_LENGTH, { each: true }),
  );

/** A span's `error`: any text, optional and nullable. */
export const OptionalText = () =>
  stacked(ApiPropertyOptional({ type: String, nullable: true }), IsOptional(), IsString());

/** A span's `cost`: numbers by component. */
export const CostField = (schema: ApiPropertyOptions = {}) =>
  stacked(
    ApiPropertyOptional({
      type: 'object',
      additionalProperties: { type: 'number' },
      nullable: true,
      ...schema,
    } as ApiPropertyOptions),
    IsOptional(),
    IsNumberRecord(),
  );
