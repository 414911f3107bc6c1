import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional, ApiPropertyOptions } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { MAX_SHORT_TEXT_LENGTH } from '../traces.constants';
import { ANY_JSON } from './any-json.schema';
import { IsJsonObject, IsTimestamp, KeepRawJson } from './validators';

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
