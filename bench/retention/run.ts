/**
 * Retention benchmark (prints numbers; not a test): deletes the oldest day of a large project with
 * the worker's RetentionService (batches of RETENTION_BATCH_SIZE, RETENTION_BATCH_PAUSE_MS apart),
 * and reports how long it took, traces per second, and how long single-trace inserts into the same
 * project took meanwhile (a probe of what ingestion would see).
 *
 *   npm run build:tools
 *   node dist/bench/retention/run.js --database-url postgresql://postgres@127.0.0.1:5432/pp_perf_bench --project create-1000000
 *
 * It uses the project as it is (e.g. the 1,000,000 traces bench/eval-runs seeds with
 * BENCH_REUSE_DB=1) and DELETES its oldest day: each run takes the next day.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/env';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { RetentionService } from '../../src/modules/retention/retention.service';
import { TraceRetentionStore } from '../../src/modules/traces/trace-retention.store';

const { values: args } = parseArgs({
  options: {
    'database-url': { type: 'string', default: 'postgresql://postgres@127.0.0.1:5432/pp_perf_bench' },
    project: { type: 'string', default: 'create-1000000' },
  },
});
const DAY = 86_400_000;
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, DATABASE_URL: args['database-url'] } as NodeJS.ProcessEnv);
  const ds = new DataSource(buildDataSourceOptions(config));
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  const pool = new Pool({ connectionString: args['database-url'], max: 2 });
  try {
    const [project] = await ds.query(`SELECT id FROM projects WHERE name = $1`, [args.project]);
    if (!project) throw new Error(`no project ${args.project}`);
    const [range] = await ds.query(
      `SELECT min(started_at) AS oldest, count(*)::int AS n FROM traces WHERE project_id = $1`,
      [project.id],
    );
    const cutoff = new Date(new Date(range.oldest).getTime() + DAY);
    const [day] = await ds.query(`SELECT count(*)::int AS n FROM traces WHERE project_id = $1 AND started_at < $2`, [
      project.id,
      cutoff.toISOString(),
    ]);
    console.log(
      `retention bench: project ${args.project} (${range.n.toLocaleString('en-US')} traces), deleting the oldest day ` +
        `(${day.n.toLocaleString('en-US')} traces before ${cutoff.toISOString()}); batch ${config.retention.batchSize}, ` +
        `pause ${config.retention.batchPauseMs} ms; load ${load()}`,
    );

    // The probe: one trace insert at a time into the same project, first alone for 3 s (the
    // baseline under the machine's current load), then while the deletion runs.
    const probeFor = async (until: () => boolean, out: number[]) => {
      while (!until()) {
        const t0 = performance.now();
        await pool.query(
          `INSERT INTO traces (trace_id, project_id, name, started_at) VALUES (gen_random_uuid(), $1, 'probe', now())`,
          [project.id],
        );
        out.push(performance.now() - t0);
      }
    };
    const baseline: number[] = [];
    const baselineEnd = performance.now() + 3000;
    await probeFor(() => performance.now() > baselineEnd, baseline);
    console.log(
      `  probe inserts alone: ${(baseline.length / 3).toFixed(0)} /s, p50 ${pct(baseline, 0.5).toFixed(1)} ms, ` +
        `p99 ${pct(baseline, 0.99).toFixed(1)} ms`,
    );
    let deleting = true;
    const probe: number[] = [];
    const prober = probeFor(() => !deleting, probe);
    const service = new RetentionService(config, ds, new TraceRetentionStore(ds));
    const t0 = performance.now();
    const deleted = await service.purge(project.id, cutoff);
    const ms = performance.now() - t0;
    deleting = false;
    await prober;
    await pool.query(`DELETE FROM traces WHERE project_id = $1 AND name = 'probe'`, [project.id]);
    console.log(
      `  deleted ${deleted.toLocaleString('en-US')} traces in ${(ms / 1000).toFixed(1)} s ` +
        `(${Math.round(deleted / (ms / 1000)).toLocaleString('en-US')} /s) | probe inserts meanwhile: ${(probe.length / (ms / 1000)).toFixed(0)} /s, ` +
        `p50 ${pct(probe, 0.5).toFixed(1)} ms, p99 ${pct(probe, 0.99).toFixed(1)} ms, max ${Math.max(...probe).toFixed(1)} ms | load ${load()}`,
    );
  } finally {
    await pool.end();
    await ds.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
