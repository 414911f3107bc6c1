import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth } from '../../auth/decorators/auth.decorator';
import { CurrentProject } from '../../auth/decorators/current-project.decorator';
import { ProjectContext } from '../../auth/types/project-context';
import { ScoreAgreementQuery, ScoreAgreementResponse } from './score-agreement.dto';
import { ScoreAgreementService } from './score-agreement.service';

/** GET /evaluations/analytics/trace-scores/agreement. */
@ApiTags('scores')
@Auth()
@Controller('evaluations/analytics/trace-scores')
export class ScoreAgreementController {
  constructor(private readonly agreement: ScoreAgreementService) {}

  @Get('agreement')
  @ApiOperation({
    summary: 'How well a metric’s judge agrees with human annotations of the same name on the same traces',
    description:
      'Pairs each trace’s latest successful AUTOMATED score (of `eval_run_id`, when given) with its latest successful ' +
      'ANNOTATION score of the same name. BOOLEAN and CATEGORICAL: accuracy, Cohen’s κ and the confusion matrix of ' +
      'the values. NUMERIC: mean absolute error and Spearman’s ρ of the values, with accuracy, κ and the confusion ' +
      'matrix of pass/fail at `threshold`. The disagreeing traces are paginated (`limit`, `offset`).',
  })
  @ApiOkResponse({ type: ScoreAgreementResponse })
  get(@CurrentProject() ctx: ProjectContext, @Query() query: ScoreAgreementQuery): Promise<ScoreAgreementResponse> {
    return this.agreement.agreement(ctx, query);
  }
}
