import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { MetricsRegistry } from './metrics-registry';
import { WorkerMetricsStore } from './worker-metrics.store';

/** Prometheus scrape endpoint: no project auth, no rate limit, not in the public API document. */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly registry: MetricsRegistry,
    private readonly workers: WorkerMetricsStore,
  ) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() res: Response): Promise<void> {
    const { contentType, body } = await this.workers.exposition(this.registry);
    res.setHeader('Content-Type', contentType);
    res.send(body);
  }
}
