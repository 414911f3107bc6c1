import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength, registerDecorator, ValidationOptions } from 'class-validator';
import { TRACE_STATUSES, type TraceStatus } from '../../traces/traces.constants';
import { normalizeTimestamp } from '../../traces/utils/timestamp';
import { TagsFilterField } from './run-option-fields';

/**
 * An ISO-8601 timestamp or a bare `YYYY-MM-DD` (UTC midnight); without an offset it is UTC.
 * Validated only: the value is stored as sent, like the original keeps its filters.
 */
export function IsFilterDate(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isFilterDate',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: '$property must be an ISO-8601 date or timestamp (e.g. 2026-01-31 or 2026-01-31T12:00:00Z)',
        ...options,
      },
      validator: { validate: (value: unknown) => normalizeTimestamp(value) !== null },
    });
}

/** Which traces a run evaluates. Every field is optional; unknown keys are rejected (422). */
export class EvalRunFiltersDto {
  @ApiProperty({
    required: false,
    nullable: true,
    type: String,
    example: '2026-01-01',
    description:
      'Inclusive lower bound on the trace start (ISO-8601; a bare date is UTC midnight; no offset means UTC).',
  })
  @IsOptional()
  @IsFilterDate()
  date_from?: string | null;

  @ApiProperty({
    required: false,
    nullable: true,
    type: String,
    example: '2026-02-01T00:00:00Z',
    description: 'Exclusive upper bound on the trace start (same formats as date_from).',
  })
  @IsOptional()
  @IsFilterDate()
  date_to?: string | null;

  @ApiProperty({ required: false, nullable: true, enum: TRACE_STATUSES, enumName: 'TraceStatus' })
  @IsOptional()
  @IsIn(TRACE_STATUSES)
  status?: TraceStatus | null;

  @ApiProperty({ required: false, nullable: true, type: String, maxLength: 255 })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  session_id?: string | null;

  @ApiProperty({ required: false, nullable: true, type: String, maxLength: 255 })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  user_id?: string | null;

  @TagsFilterField('Traces carrying ANY of these tags; an empty list means no tag condition.')
  tags?: string[] | null;

  @ApiProperty({
    required: false,
    nullable: true,
    type: String,
    maxLength: 512,
    description: 'Case-insensitive substring of the trace name; an empty string means no name condition.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  name?: string | null;
}

export const FILTER_KEYS = ['date_from', 'date_to', 'status', 'session_id', 'user_id', 'tags', 'name'] as const;
