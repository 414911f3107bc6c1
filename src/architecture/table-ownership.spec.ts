import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sourceFiles } from './import-graph';
import { foreignTableUses, TABLE_OWNERS } from './table-owners';

/**
 * Places where a module's SQL still names a table of another module, each with its reason. The
 * list must shrink, never grow: a new entry needs a reason here and in review. (Issue 26: each to
 * become a port the owner exports.)
 */
const DECLARED: Record<string, string> = {
  // Read models: declared as reading the owner's table, by design.
  'modules/sessions/sessions.repository.ts traces':
    'sessions are a read model over traces (no table of their own): grouping by session_id is their definition',
  'modules/analytics/rollup-refresher.ts traces': 'analytics rollups are a read model refreshed from traces',
  'modules/analytics/rollup-sql.ts spans': 'analytics rollups are a read model refreshed from spans',
  'modules/analytics/exact-percentiles.ts traces':
    'exact latency percentiles read the one latency of each rank from traces (an index-only read, measured)',
  'modules/analytics/trace-analytics.repository.ts traces':
    'the live edge of a rollup window is computed from traces in the same statement (exact, measured)',
  // Still to become ports (issue 26, step 4).
  'modules/eval-runs/run-creation.sql.ts traces':
    'run creation selects and samples its targets from traces in the one statement that freezes the run (measured: bench/session-runs, bench/eval-runs)',
  'modules/eval-runs/run-creation.sql.ts trace_scores':
    'a retry reads the failed (trace, metric) pairs in its one statement',
  'modules/eval-runs/run-creation.sql.ts session_scores':
    'a retry reads the failed (session, metric) pairs in its one statement',
  'modules/eval-runs/worker/run-state.sql.ts trace_scores':
    'settle names a finished trace left without a score in its one statement (one round trip per write batch)',
  'modules/eval-runs/worker/run-state.sql.ts session_scores':
    'settle names a finished session left without a score in its one statement (one round trip per write batch)',
  'modules/monitors/monitor-firing.ts eval_runs': 'to do: a monitor fire checks its runs',
  'modules/monitors/monitors.repository.ts eval_runs': 'to do: run totals per monitor',
  'modules/monitors/spawners/session-run.spawner.ts eval_runs': 'to do: spawning reads the last run of the monitor',
  'modules/monitors/spawners/session-run.spawner.ts eval_run_items': 'to do: incremental spawning reads run items',
  'modules/monitors/spawners/session-run.spawner.ts traces': 'to do: sessions with new traces since the watermark',
  'modules/monitors/spawners/trace-run.spawner.ts eval_runs': 'to do: spawning reads the last run of the monitor',
  'modules/monitors/spawners/trace-run.spawner.ts eval_run_items': 'to do: incremental spawning reads run items',
  'modules/monitors/spawners/trace-run.spawner.ts traces': 'to do: traces new since the watermark',
  'modules/subscriptions/usage-counter.service.ts projects': 'to do: usage is counted per organization’s projects',
  'modules/subscriptions/usage-counter.service.ts traces': 'to do: usage counts traces ingested',
  'modules/subscriptions/usage-counter.service.ts trace_scores': 'to do: usage counts scores written',
  'modules/subscriptions/usage-counter.service.ts session_scores': 'to do: usage counts session scores written',
  'modules/retention/retention.service.ts projects': 'to do: the projects with a retention (auth owns projects)',
  'modules/judge/provider-views.ts eval_runs': 'to do: a tenant’s providers view lists the models its runs used',
  'modules/quotas/org-quotas.service.ts api_keys': 'to do: the keys quota counts an organization’s keys',
  'modules/quotas/org-quotas.service.ts projects': 'to do: the projects quota counts an organization’s projects',
  'modules/quotas/org-quotas.service.ts eval_runs': 'to do: the runs-in-flight quota counts unfinished runs',
  'modules/quotas/org-quotas.service.ts eval_monitors': 'to do: the monitors quota counts an organization’s monitors',
};

describe('table ownership', () => {
  const uses = foreignTableUses(join(__dirname, '..'));
  const key = (u: { file: string; table: string }) => `${u.file} ${u.table}`;

  it("no module's SQL names another module's table, except the declared places", () => {
    expect(uses.filter((u) => !(key(u) in DECLARED)).map((u) => `${key(u)} (owned by ${u.owner})`)).toEqual([]);
  });

  it('every declared exception is still real (the list shrinks as ports replace them)', () => {
    const found = new Set(uses.map(key));
    expect(Object.keys(DECLARED).filter((k) => !found.has(k))).toEqual([]);
  });

  it('every table a migration creates has exactly one owner, and the map names no other table', () => {
    const migrations = sourceFiles(join(__dirname, '..', 'database', 'migrations'));
    const created = new Set(
      migrations.flatMap((f) =>
        [...readFileSync(f, 'utf8').matchAll(/CREATE (?:UNLOGGED )?TABLE (?:IF NOT EXISTS )?([a-z_]+)/g)].map(
          (m) => m[1],
        ),
      ),
    );
    expect([...created].filter((t) => !(t in TABLE_OWNERS)).sort()).toEqual([]);
    expect(Object.keys(TABLE_OWNERS).filter((t) => !created.has(t))).toEqual([]);
  });

  it('retention deletes traces through the traces module, not with its own SQL', () => {
    expect(uses.some((u) => u.module === 'retention' && u.table === 'traces')).toBe(false);
  });
});
