import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { PaginationQueryDto } from '../../../common/dto/pagination.dto';
import { EvalRunStatus } from '../entities/eval-run.entity';
import { IntegerQuery } from '../../../common/dto/query-fields';
import { EnumFilter, UuidField } from '../../../common/dto/fields';

/** `:run_id` path parameter: a malformed id is a 422 validation error, like the original's UUID path type. */
export class EvalRunIdParams {
  @UuidField()
  run_id: string;
}

/** GET /evaluations/trace-runs */
export class ListEvalRunsQueryDto extends PaginationQueryDto {
  @EnumFilter(EvalRunStatus, 'EvaluationStatus')
  status?: EvalRunStatus;
}

const BOOLEAN_TEXT: Record<string, boolean> = { true: true, false: false, '1': true, '0': false };

/** DELETE /evaluations/trace-runs/{run_id} */
export class DeleteEvalRunQueryDto {
  @ApiProperty({
    required: false,
    default: false,
    description:
      "true also deletes the run's scores; by default they are kept and unlinked (eval_run_id becomes null).",
  })
  @IsOptional()
  @Transform(({ value }) =>
    typeof value === 'string' && value.toLowerCase() in BOOLEAN_TEXT ? BOOLEAN_TEXT[value.toLowerCase()] : value,
  )
  @IsBoolean()
  delete_scores?: boolean;
}

/** GET /evaluations/trace-runs/template */
export class TemplateQueryDto {
  @ApiProperty({ example: 'task_completion' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  metric: string;
}

/** GET /evaluations/trace-runs/{run_id}/scores: every score by default (a bare array, as the CLI expects). */
export class RunScoresQueryDto {
  @IntegerQuery({ minimum: 1, description: 'At most this many scores (default: all of them).' }, 1)
  limit?: number;

  @IntegerQuery({ minimum: 0, default: 0 }, 0)
  offset?: number;
}
