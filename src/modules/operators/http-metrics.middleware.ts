import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Histogram } from 'prom-client';
import { MetricsRegistry } from './metrics-registry';

/**
 * Times every HTTP request. The route label is the matched route pattern
 * (`/evaluations/trace-scores/:score_id`), never the raw URL, so ids cannot blow up cardinality;
 * requests that match no route are labelled `unmatched`.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  private readonly duration: Histogram<'method' | 'route' | 'status_code'>;

  constructor(metrics: MetricsRegistry) {
    this.duration = metrics.histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
  }

  use(req: Request, res: Response, next: NextFunction): void {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const path = req.route?.path === undefined ? undefined : String(req.route.path);
      // Nest answers unknown routes from a catch-all (`{/*splat}`): those are unmatched too.
      const route =
        path === undefined || (path.includes('*') && res.statusCode === 404) ? 'unmatched' : `${req.baseUrl}${path}`;
      this.duration.observe({ method: req.method, route, status_code: String(res.statusCode) }, seconds);
    });
    next();
  }
}
