import { Controller, Get, Header, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckResult, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import type { Response } from 'express';
import { RedisHealthIndicator } from './redis.health';

const READY_EXAMPLE = {
  status: 'ok',
  info: { database: { status: 'up' }, redis: { status: 'up' } },
  error: {},
  details: { database: { status: 'up' }, redis: { status: 'up' } },
};
const NOT_READY_EXAMPLE = {
  status: 'error',
  detail:
    'Not ready: redis is down (Redis is unreachable at 127.0.0.1:6379 (REDIS_URL=redis://127.0.0.1:6379): ECONNREFUSED).',
  info: { database: { status: 'up' } },
  error: {
    redis: {
      status: 'down',
      message: 'Redis is unreachable at 127.0.0.1:6379 (REDIS_URL=redis://127.0.0.1:6379): ECONNREFUSED',
    },
  },
  details: {
    database: { status: 'up' },
    redis: {
      status: 'down',
      message: 'Redis is unreachable at 127.0.0.1:6379 (REDIS_URL=redis://127.0.0.1:6379): ECONNREFUSED',
    },
  },
};

@ApiTags('health')
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Liveness: the process is up (it answers 200 whenever it answers at all)' })
  @ApiOkResponse({ schema: { type: 'object', example: { status: 'ok', info: {}, error: {}, details: {} } } })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @Header('Cache-Control', 'no-cache, no-store, must-revalidate')
  @ApiOperation({ summary: 'Readiness: PostgreSQL and Redis answer; the body names what is down' })
  @ApiOkResponse({ schema: { type: 'object', example: READY_EXAMPLE } })
  @ApiServiceUnavailableResponse({ schema: { type: 'object', example: NOT_READY_EXAMPLE } })
  async ready(@Res({ passthrough: true }) res: Response): Promise<HealthCheckResult & { detail?: string }> {
    try {
      return await this.health.check([
        () => this.db.pingCheck('database', { timeout: 2000 }),
        () => this.redis.isHealthy('redis'),
      ]);
    } catch (e) {
      if (!(e instanceof ServiceUnavailableException)) throw e;
      const result = e.getResponse() as HealthCheckResult;
      const down = Object.entries(result.error ?? {}).map(
        ([name, s]) => `${name} is down${s?.message ? ` (${String(s.message)})` : ''}`,
      );
      res.status(503);
      return { ...result, detail: `Not ready: ${down.join('; ')}.` };
    }
  }
}
