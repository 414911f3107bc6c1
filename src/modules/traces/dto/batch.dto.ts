import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { MAX_BATCH_TRACE_IDS, MAX_SHORT_TEXT_LENGTH, MAX_TAGS } from '../traces.constants';

export class BatchDeleteTracesDto {
  @ApiProperty({ type: [String], format: 'uuid', minItems: 1, maxItems: MAX_BATCH_TRACE_IDS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH_TRACE_IDS)
  @IsUUID('loose', { each: true })
  trace_ids: string[];
}

export class BatchTagTracesDto extends BatchDeleteTracesDto {
  @ApiPropertyOptional({ type: [String], default: [], description: 'Added after the removals; never duplicated.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TAGS)
  @IsString({ each: true })
  @Length(1, MAX_SHORT_TEXT_LENGTH, { each: true })
  add_tags?: string[];

  @ApiPropertyOptional({ type: [String], default: [], description: 'Removed first.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TAGS)
  @IsString({ each: true })
  remove_tags?: string[];
}

export class BatchDeleteResultDto {
  @ApiProperty({ description: 'Traces of this project that were deleted (unknown ids are ignored).' })
  deleted: number;
}

export class BatchTagResultDto {
  @ApiProperty({ description: 'Traces of this project that matched the ids.' })
  updated: number;
}
