import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryRunner } from 'typeorm';
import {
  dayOf,
  hourOf,
  LATENCY_FRACTIONS,
  Key,
  latencyAggregates,
  modelAggregates,
  SLOT_LENGTH,
  TRACE_AGG_COLUMNS,
  TRACE_COLUMNS,
  traceAggregates,
} from './rollup-sql';
import { withJitOff } from './analytics-query';
import { PeriodicPass, type PassSchedule } from '../../common/periodic-pass';

/** How often dirty slots are folded into the rollups, and how many marks one pass takes. */
export const ROLLUP_REFRESH_INTERVAL_MS = 5_000;
// Small passes keep each transaction (and a shutdown waiting for it) short; refreshAll loops.
const MARKS_PER_PASS = 200;

/**
 * The timer's passes leave a slot alone until it ended over a minute ago. While traces arrive, its
 * marks keep coming and each pass recomputed it from its raw rows, at a cost growing with the slot:
 * under steady ingestion one PostgreSQL backend stayed busy (docs/performance.md, "The rollup
 * refresher during ingestion"). Reads compute a dirty slot, and the last slot of a window, live:
 * answers stay exact. A late trace marks a closed slot, refreshed at the next pass.
 */
const CLOSED_SLOT = `slot + ${SLOT_LENGTH} < now() - interval '1 minute'`;
/** The taken (project, slot) pairs, as `d(p, s)`. */
const PAIRS = `unnest($1::uuid[], $2::timestamptz[]) AS d(p, s)`;
/** The traces of the taken slots, materialised once per statement (as the read path does). */
const WITH_PAIR_TRACES = `WITH pair_traces AS MATERIALIZED (
  SELECT d.p, d.s, ${TRACE_COLUMNS} FROM ${PAIRS}
  JOIN traces t ON t.project_id = d.p AND t.started_at >= d.s AND t.started_at < d.s + ${SLOT_LENGTH})`;
const PAIR_TRACES = 'pair_traces t';
/** The latency histograms by period: per slot, and summed per UTC hour and per UTC day. */
const COARSE = {
  slot: { table: 'latency_rollups', column: 'slot', length: SLOT_LENGTH, of: (ts: string) => ts },
  hour: { table: 'latency_hour_rollups', column: 'hour', length: `interval '1 hour'`, of: hourOf },
  day: { table: 'latency_day_rollups', column: 'day', length: `interval '1 day'`, of: dayOf },
};
/** The distinct (project, period start) of the taken slots, as `x(p, h)`. */
const periods = (c: { of: (ts: string) => string }) => `(SELECT DISTINCT d.p, ${c.of('d.s')} AS h FROM ${PAIRS}) x`;
const HOURS = periods(COARSE.hour);
/** percentile_cont over the traces of hour `x.h` of project `x.p` (NULL for an hour without a latency). */
const HOUR_PERCENTILES = `SELECT percentile_cont(${LATENCY_FRACTIONS}) WITHIN GROUP (ORDER BY t.latency_ms) AS pct
  FROM traces t WHERE t.project_id = x.p AND t.started_at >= x.h AND t.started_at < x.h + interval '1 hour'`;
const KEYS: Key[] = [
  ['t.p', 'p'],
  ['t.s', 's'],
];

/**
 * The refresh loop every rollup shares: every ROLLUP_REFRESH_INTERVAL_MS, take dirty marks and
 * recompute what they cover from the raw rows, in one REPEATABLE READ transaction so the marks it
 * removes and the rows it reads are the same moment. Reads never wait for it: dirty slots are
 * computed live, so a slow or stopped refresher costs speed, never correctness. One refresher per
 * rollup family at a time across processes (an advisory lock); the others skip the pass.
 */
export abstract class DirtySlotRefresher extends PeriodicPass<number> {
  constructor(
    protected readonly dataSource: DataSource,
    private readonly lockName: string,
  ) {
    super('Rollup refresh failed; dirty slots stay live until the next pass');
  }

  /** Takes up to `limit` marks and recomputes what they cover; returns how many distinct marks it took. */
  protected abstract refreshTaken(qr: QueryRunner, limit: number): Promise<number>;

  /**
   * Deletes every mark of the distinct keys among the `limit` oldest marks of `table` (matching
   * `where`), and returns those keys. A busy slot collects one mark per write statement (per trace
   * for a client writing one trace a statement); taken 200 at a time, the same slot was recomputed
   * from its raw rows once per 200 statements (docs/performance.md, "The rollup refresher during
   * ingestion"). Marks committed after this transaction's snapshot stay for the next pass.
   */
  protected takeMarks<K>(qr: QueryRunner, table: string, keys: string[], limit: number, where = 'true'): Promise<K[]> {
    const list = keys.join(', ');
    return qr.query(
      `WITH oldest AS (
         SELECT DISTINCT ${list} FROM (SELECT ${list} FROM ${table} WHERE ${where} ORDER BY id LIMIT $1) o),
       taken AS (
         DELETE FROM ${table} m USING oldest o WHERE ${keys.map((k) => `m.${k} = o.${k}`).join(' AND ')}
         RETURNING ${keys.map((k) => `m.${k}`).join(', ')})
       SELECT DISTINCT ${list} FROM taken`,
      [limit],
    );
  }

  protected schedule(): PassSchedule {
    return { intervalMs: ROLLUP_REFRESH_INTERVAL_MS };
  }

  /**
   * Refreshes until no mark is left (or another process holds the lock), or joins the refresh in
   * flight. Returns the slots refreshed.
   */
  refreshAll(): Promise<number> {
    return this.run();
  }

  protected async pass(): Promise<number> {
    let total = 0;
    // MARKS_PER_PASS marks a transaction; shutdown ends the loop too: a transaction started after it
    // would meet a closed pool.
    for (let n = await this.refreshSome(); n > 0 && !this.isStopped; n = await this.refreshSome()) total += n;
    return total;
  }

  /** Up to MARKS_PER_PASS marks, in a REPEATABLE READ transaction; 0 when another process holds the refresh lock. */
  private refreshSome(): Promise<number> {
    return withJitOff(
      this.dataSource,
      async (qr) => {
        const [{ locked }] = await qr.query(`SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked`, [
          this.lockName,
        ]);
        return locked ? this.refreshTaken(qr, MARKS_PER_PASS) : 0;
      },
      'REPEATABLE READ',
    );
  }
}

/**
 * Keeps the trace rollups (migration 1764000005000) up to date without touching any write path:
 * triggers on traces mark (project, slot) pairs dirty, and this recomputes those slots.
 */
@Injectable()
export class RollupRefresher extends DirtySlotRefresher {
  /** refreshAll calls under way: while there is one, passes take the open slots too. */
  private takingAll = 0;

  constructor(@InjectDataSource() dataSource: DataSource) {
    super(dataSource, 'trace-rollups');
  }

  /**
   * Every mark, the open slots' too. A pass in flight may have ended its last round before this
   * call: it is joined, then one more pass runs.
   */
  override refreshAll(): Promise<number> {
    this.takingAll += 1;
    return this.run()
      .then(() => this.run())
      .finally(() => (this.takingAll -= 1));
  }

  protected async refreshTaken(qr: QueryRunner, limit: number): Promise<number> {
    const taken = await this.takeMarks<{ project_id: string; slot: Date }>(
      qr,
      'rollup_dirty',
      ['project_id', 'slot'],
      limit,
      this.takingAll > 0 ? undefined : CLOSED_SLOT,
    );
    if (taken.length === 0) return 0;
    const params = [taken.map((t) => t.project_id), taken.map((t) => t.slot)];
    for (const table of ['trace_rollups', 'model_rollups', 'latency_rollups']) {
      await qr.query(`DELETE FROM ${table} r USING ${PAIRS} WHERE r.project_id = d.p AND r.slot = d.s`, params);
    }
    await qr.query(
      `${WITH_PAIR_TRACES} INSERT INTO trace_rollups (project_id, slot, ${TRACE_AGG_COLUMNS})
       ${traceAggregates(KEYS, PAIR_TRACES)}`,
      params,
    );
    await qr.query(
      `${WITH_PAIR_TRACES} INSERT INTO model_rollups (project_id, slot, model, call_count, total_tokens, total_cost)
       ${modelAggregates(KEYS, PAIR_TRACES)}`,
      params,
    );
    await qr.query(
      `${WITH_PAIR_TRACES} INSERT INTO latency_rollups (project_id, slot, k, count)
       ${latencyAggregates(KEYS, PAIR_TRACES)}`,
      params,
    );
    // The hours, then the days, of the taken slots, summed from their slot / hour rows (fresh for every
    // slot without a mark; reads skip an hour or a day while any of its slots has one).
    for (const [coarse, fine] of [
      [COARSE.hour, COARSE.slot],
      [COARSE.day, COARSE.hour],
    ] as const) {
      await qr.query(
        `DELETE FROM ${coarse.table} r USING ${periods(coarse)} WHERE r.project_id = x.p AND r.${coarse.column} = x.h`,
        params,
      );
      await qr.query(
        `INSERT INTO ${coarse.table} (project_id, ${coarse.column}, k, count)
         SELECT x.p, x.h, l.k, sum(l.count) FROM ${periods(coarse)}
         CROSS JOIN LATERAL (SELECT k, count FROM ${fine.table} l WHERE l.project_id = x.p
                             AND l.${fine.column} >= x.h AND l.${fine.column} < x.h + ${coarse.length} OFFSET 0) l
         GROUP BY 1, 2, 3`,
        params,
      );
    }
    await qr.query(
      `DELETE FROM latency_hour_percentiles r USING ${HOURS} WHERE r.project_id = x.p AND r.hour = x.h`,
      params,
    );
    // Exact p50/p90/p99 of each hour, from its traces (the read path's hour buckets use them as they are).
    await qr.query(
      `INSERT INTO latency_hour_percentiles (project_id, hour, pct)
       SELECT x.p, x.h, q.pct FROM ${HOURS}
       CROSS JOIN LATERAL (${HOUR_PERCENTILES}) q
       WHERE q.pct IS NOT NULL`,
      params,
    );
    return taken.length;
  }
}
