import { Get, Query } from '@nestjs/common';
import { CurrentProject } from '../../auth/decorators/current-project.decorator';
import { ProjectController } from '../../auth/decorators/controller.decorator';
import { ProjectContext } from '../../auth/types/project-context';
import { ScoreAgreementQuery, ScoreAgreementResponse } from './score-agreement.dto';
import { ScoreAgreementService } from './score-agreement.service';
import { Answers } from '../../../common/http/route.decorators';

/** GET /evaluations/analytics/trace-scores/agreement. */
@ProjectController('scores', 'evaluations/analytics/trace-scores')
export class ScoreAgreementController {
  constructor(private readonly agreement: ScoreAgreementService) {}

  @Get('agreement')
  @Answers.ok(ScoreAgreementResponse, {
    summary: 'How well a metric’s judge agrees with human annotations of the same name on the same traces',
    description:
      'Pairs each trace’s latest successful AUTOMATED score (of `eval_run_id`, when given) with its latest successful ' +
      'ANNOTATION score of the same name. BOOLEAN and CATEGORICAL: accuracy, Cohen’s κ and the confusion matrix of ' +
      'the values. NUMERIC: mean absolute error and Spearman’s ρ of the values, with accuracy, κ and the confusion ' +
      'matrix of pass/fail at `threshold`. The disagreeing traces are paginated (`limit`, `offset`).',
  })
  get(@CurrentProject() ctx: ProjectContext, @Query() query: ScoreAgreementQuery): Promise<ScoreAgreementResponse> {
    return this.agreement.agreement(ctx, query);
  }
}
