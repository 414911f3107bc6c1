import { Controller } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/decorators/auth.decorator';
import { scoreAnalyticsRoutes } from './score-analytics.routes';

/** GET /evaluations/analytics/trace-scores/{summary,trend,distribution}. */
@ApiTags('scores')
@Auth()
@Controller('evaluations/analytics/trace-scores')
export class TraceScoreAnalyticsController extends scoreAnalyticsRoutes('trace') {}
