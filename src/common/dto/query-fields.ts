import { ApiPropertyOptional, ApiPropertyOptions } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { stacked } from '../decorators';

/**
 * An optional whole number of the query string (limit, offset, ...), in [min, max] (no upper bound
 * when max is omitted): read from its text, then checked. `schema` documents it.
 */
export const IntegerQuery = (schema: ApiPropertyOptions, min: number, max?: number) =>
  stacked(
    ApiPropertyOptional(schema),
    IsOptional(),
    Type(() => Number),
    IsInt(),
    Min(min),
    ...(max === undefined ? [] : [Max(max)]),
  );
