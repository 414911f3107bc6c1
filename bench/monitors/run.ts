/**
 * Monitor benchmark (prints numbers; not a test): what one fire costs as a project's history grows.
 *
 *   npm run build:tools
 *   node dist/bench/monitors/run.js [--history 200000] [--fresh 100] [--database-url ...] [--redis-url ...]
 *
 * Seeds one project with `history` traces, fires a scope 'new' monitor once (it takes them all), adds
 * `fresh` traces, then times through MonitorFiring (the code every worker's scheduler runs):
 * the incremental fire (takes only the fresh ones), a scope 'all' fire over the same data (the
 * original's behaviour) and a fire with nothing new (a recorded skip); the same for a SESSION
 * monitor (the history is in sessions of 5 traces; each fresh trace continues one). Runs are
 * created and their jobs enqueued, but no worker judges them.
 *
 * The database named by --database-url (default pp_monitors_bench) is DROPPED and recreated.
 */
import { DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { execSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { LoggingModule } from '../../src/bootstrap/logging.module';
import { AppConfigModule } from '../../src/config/config.module';
import { AppConfig, loadConfig } from '../../src/config/env';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { DatabaseModule } from '../../src/database/database.module';
import { MonitorFiring } from '../../src/modules/monitors/monitor-firing';
import { MonitorsCoreModule } from '../../src/modules/monitors/monitors-core.module';
import { ObservabilityModule } from '../../src/modules/operators/observability.module';
import { QuotasModule } from '../../src/modules/quotas/quotas.module';
import { QueueModule } from '../../src/queue/queue.module';

const { values: args } = parseArgs({
  options: {
    history: { type: 'string', default: '200000' },
    fresh: { type: 'string', default: '100' },
    'database-url': {
      type: 'string',
      default: process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/pp_monitors_bench',
    },
    'redis-url': { type: 'string', default: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/5' },
  },
});
const HISTORY = Number(args.history);
const FRESH = Number(args.fresh);
const DB_URL = args['database-url']!;
const TRACES_PER_SESSION = 5;
const PREFIX = `benchmon${process.pid}`;
const load = () =>
  execSync('uptime')
    .toString()
    .trim()
    .replace(/^.*load average/, 'load average');

@Module({})
class BenchModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: BenchModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggingModule,
        DatabaseModule,
        QueueModule,
        ObservabilityModule,
        QuotasModule,
        MonitorsCoreModule,
      ],
    };
  }
}

async function freshDatabase(config: AppConfig): Promise<void> {
  const url = new URL(DB_URL);
  const admin = new Client({ connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).toString() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${url.pathname.slice(1)}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${url.pathname.slice(1)}"`);
  await admin.end();
  const ds = new DataSource(buildDataSourceOptions(config));
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  await ds.destroy();
}

/**
 * `n` traces ingested steadily over the `spanSeconds` before `ageSeconds` ago, trace g in session
 * `s-<g mod sessions>` (so the history has HISTORY / TRACES_PER_SESSION sessions, and each fresh
 * trace continues one of them).
 */
const seed = (
  ds: DataSource,
  projectId: string,
  n: number,
  prefix: string,
  ageSeconds: number,
  spanSeconds = 0,
  sessions = Math.max(1, Math.floor(n / TRACES_PER_SESSION)),
) =>
  ds.query(
    `INSERT INTO traces (trace_id, project_id, name, status, input, output, started_at, ended_at, created_at,
                         updated_at, session_id)
     SELECT gen_random_uuid(), $1, $2 || '-' || g, 'COMPLETED', jsonb_build_object('q', g), jsonb_build_object('a', g),
            '2026-01-01'::timestamptz + make_interval(secs => g), '2026-01-01'::timestamptz + make_interval(secs => g + 1),
            at, at, 's-' || (g % $6::int)
     FROM generate_series(1, $3::int) AS g
     CROSS JOIN LATERAL (SELECT now() - make_interval(secs => $4::int)
                                - make_interval(secs => $5::float8 * ($3::int - g) / $3::int) AS at) w`,
    [projectId, prefix, n, ageSeconds, spanSeconds, sessions],
  );

async function main(): Promise<void> {
  const config = loadConfig({
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATABASE_URL: DB_URL,
    REDIS_URL: args['redis-url'],
    QUEUE_PREFIX: PREFIX,
    OPENAI_API_KEY: 'sk-bench',
    EVAL_LLM_MODEL: 'openai/judge-bench',
    EVAL_EMBEDDING_MODEL: 'openai/embed-bench',
    MONITOR_SCHEDULER_ENABLED: 'false',
  });
  await freshDatabase(config);
  if (process.env.BENCH_EXPLAIN) {
    const c = new Client({ connectionString: DB_URL });
    await c.connect();
    await c.query(
      `ALTER DATABASE "${new URL(DB_URL).pathname.slice(1)}" SET session_preload_libraries = 'auto_explain'`,
    );
    await c.query(`ALTER DATABASE "${new URL(DB_URL).pathname.slice(1)}" SET auto_explain.log_min_duration = 1000`);
    await c.query(`ALTER DATABASE "${new URL(DB_URL).pathname.slice(1)}" SET auto_explain.log_analyze = on`);
    await c.end();
  }
  const app = await NestFactory.createApplicationContext(BenchModule.forRoot(config), { logger: ['warn', 'error'] });
  const ds = app.get(DataSource);
  const firing = app.get(MonitorFiring);
  try {
    const [org] = await ds.query(`INSERT INTO organizations (name) VALUES ('bench') RETURNING id`);
    const [project] = await ds.query(`INSERT INTO projects (org_id, name) VALUES ($1, 'bench') RETURNING id`, [org.id]);
    // The history was ingested over the last day, up to ten minutes ago; the fresh traces arrive between two fires.
    await seed(ds, project.id, HISTORY, 'old', 600, 86_400);
    await ds.query('ANALYZE traces');
    const monitor = async (scope: 'new' | 'all', target: 'TRACE' | 'SESSION' = 'TRACE') =>
      (
        await ds.query(
          `INSERT INTO eval_monitors (project_id, name, target_type, metric_names, cadence, scope, only_if_changed,
                                      schedule_anchor, next_run_at)
           VALUES ($1, $2, $3, $4, 'every_1h', $2, false, now() - interval '2 hours', now() + interval '1 day')
           RETURNING id`,
          [project.id, scope, target, target === 'TRACE' ? ['confidence'] : ['agent_reliability']],
        )
      )[0].id as string;
    const due = (id: string) =>
      ds.query(`UPDATE eval_monitors SET next_run_at = now() - interval '1 second' WHERE id = $1`, [id]);
    const fire = async (label: string, id: string) => {
      await due(id);
      const started = process.hrtime.bigint();
      // Only this monitor is due (the others wait a day), so the tick fires it alone.
      const [result] = await firing.tick(new Date());
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const [run] = result.runId
        ? await ds.query(`SELECT total_targets FROM eval_runs WHERE id = $1`, [result.runId])
        : [{ total_targets: 0 }];
      console.log(
        `${label.padEnd(44)} ${ms.toFixed(1).padStart(9)} ms   targets ${String(run.total_targets).padStart(7)}` +
          `${result.skipReason ? `   (skipped: ${result.skipReason.slice(0, 40)}…)` : ''}   [${load()}]`,
      );
    };

    console.log(`monitor fires over a project of ${HISTORY.toLocaleString('en-US')} traces (then +${FRESH} fresh)\n`);
    const incremental = await monitor('new');
    const sessions = await monitor('new', 'SESSION');
    await fire("scope 'new', first fire (takes the history)", incremental);
    await fire("SESSION 'new', first fire (every session)", sessions);
    // Each fresh trace continues a different session of the history.
    await seed(ds, project.id, FRESH, 'fresh', 0, 0, Math.floor(HISTORY / TRACES_PER_SESSION));
    await fire("scope 'new', next fire (fresh traces only)", incremental);
    await fire("SESSION 'new', next fire (their sessions)", sessions);
    await fire("scope 'new', nothing new (skip)", incremental);
    await fire("SESSION 'new', nothing new (skip)", sessions);
    await fire("scope 'all' (re-evaluates everything)", await monitor('all'));
    await fire("SESSION 'all' (every session)", await monitor('all', 'SESSION'));
  } finally {
    await app.close();
    const redis = new Redis(args['redis-url']!);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
