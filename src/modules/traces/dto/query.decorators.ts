import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { stacked } from '../../../common/decorators';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsDefined, IsOptional, IsString, MaxLength } from 'class-validator';
import { MAX_SHORT_TEXT_LENGTH, MAX_TAGS } from '../traces.constants';
import { IsTimestamp } from './validators';

/** Query parameters shared by the lists over traces (GET /traces, GET /sessions). */

/** An optional text of at most 255 characters (ids, names matched exactly or as a substring). */
export const ShortTextQuery = (description: string) =>
  applyDecorators(ApiPropertyOptional({ description }), IsOptional(), IsString(), MaxLength(MAX_SHORT_TEXT_LENGTH));

/** An optional ISO-8601 timestamp, normalised to UTC. */
export const TimestampQuery = (description: string) =>
  applyDecorators(ApiPropertyOptional({ format: 'date-time', description }), IsOptional(), IsTimestamp());

/** A required ISO-8601 timestamp (a bound of an analytics window), normalised to UTC. */
export const RequiredTimestampQuery = (description: string) =>
  stacked(ApiProperty({ format: 'date-time', description }), IsDefined(), IsTimestamp());

/** `tags=a&tags=b`: a repeated parameter read as a list (one occurrence is a list of one). */
export const TagsQuery = (description: string) =>
  applyDecorators(
    ApiPropertyOptional({ type: [String], maxItems: MAX_TAGS, description }),
    IsOptional(),
    Transform(({ value }) => (value === undefined || Array.isArray(value) ? value : [value])),
    IsArray(),
    ArrayMaxSize(MAX_TAGS),
    IsString({ each: true }),
  );
