import { scoreAnalyticsRoutes } from './score-analytics.routes';
import { ProjectController } from '../auth/decorators/controller.decorator';

/** GET /evaluations/analytics/trace-scores/{summary,trend,distribution}. */
@ProjectController('scores', 'evaluations/analytics/trace-scores')
export class TraceScoreAnalyticsController extends scoreAnalyticsRoutes('trace') {}
