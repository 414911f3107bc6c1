import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Pool } from 'pg';
import { APP_CONFIG } from '../config/config.module';
import { AppConfig } from '../config/env';
import { boundedPoolOptions } from './data-source-options';

/**
 * One connection of its own, outside the shared pool, for statements that must run however busy the
 * pool is: the worker's lease heartbeat (a pool held by slow work longer than a lease would otherwise
 * let leases expire and items be judged twice; issue 22, finding 1). Same server-side bounds.
 */
@Injectable()
export class ReservedConnection implements OnModuleDestroy {
  private readonly pool: Pool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.pool = new Pool({
      ...boundedPoolOptions(config),
      connectionString: config.database.url,
      max: 1,
      application_name: 'pandaprobe-reserved',
    });
    // An idle connection the server closed is dropped by the pool; the next query opens a new one.
    this.pool.on('error', () => undefined);
  }

  async exec<T = Record<string, unknown>>(sql: string, params: unknown[]): Promise<{ rows: T[]; affected: number }> {
    const result = await this.pool.query(sql, params);
    return { rows: result.rows as T[], affected: result.rowCount ?? 0 };
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.end();
  }
}
