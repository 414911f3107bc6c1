import { ApiProperty, ApiPropertyOptions } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { stacked } from '../decorators';

/** A required UUID (a path parameter such as `org_id`, or an id in a body); malformed: 422. */
export const UuidField = (description?: string) =>
  stacked(ApiProperty({ format: 'uuid', ...(description === undefined ? {} : { description }) }), IsUUID('all'));

/** A required text of 1 to `max` characters (names, labels, codes); `schema` adds to its documentation. */
export const TextField = (max: number, schema: ApiPropertyOptions = {}) =>
  stacked(ApiProperty({ minLength: 1, maxLength: max, ...schema } as ApiPropertyOptions), IsString(), Length(1, max));

/** An optional filter on one of an enum's values, documented under `enumName`. */
export const EnumFilter = (values: Record<string, string>, enumName: string) =>
  stacked(ApiProperty({ required: false, enum: values, enumName }), IsOptional(), IsIn(Object.values(values)));
