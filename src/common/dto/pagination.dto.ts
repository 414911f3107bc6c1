import { Type } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IntegerQuery } from './query-fields';

export class PaginationQueryDto {
  @IntegerQuery({ minimum: 1, maximum: 200, default: 50 }, 1, 200)
  limit: number = 50;

  // Past 2^53 a number is rounded, not what was asked: capped well below.
  @IntegerQuery({ minimum: 0, default: 0 }, 0, 1_000_000_000)
  offset: number = 0;
}

export interface Paginated<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** A documented page of `item`s; each list's subclass gives the schema its name. */
export function PageOf<T>(item: Type<T>) {
  class Page implements Paginated<T> {
    @ApiProperty({ type: [item] }) items: T[];
    @ApiProperty({ type: 'integer' }) total: number;
    @ApiProperty({ type: 'integer' }) limit: number;
    @ApiProperty({ type: 'integer' }) offset: number;
  }
  return Page;
}
