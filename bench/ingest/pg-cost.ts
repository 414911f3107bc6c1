/**
 * What a round costs PostgreSQL, read around it: the CPU of the server processes serving the bench's
 * database (its backends, from /proc: PostgreSQL must run on this machine), the WAL written (the
 * whole cluster's: other databases' writes count too) and the state of the tables the rounds grow.
 */
import { readFileSync } from 'node:fs';
import type { Pool } from 'pg';

export interface PgSnapshot {
  /** CPU ms so far of each backend connected to the database. */
  cpu: Map<number, number>;
  walLsn: bigint;
  /** Checkpoints started so far (timed and requested): each makes the next write of every page a full-page image. */
  checkpoints: number;
  /** Blocks of the database read from outside shared buffers so far (the OS cache or the disk). */
  blocksRead: number;
  tables: { name: string; live: number; dead: number; bytes: number; vacuums: number; analyzes: number }[];
}

function processCpuMs(pid: number): number | undefined {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // 100 ticks per second
  } catch {
    return undefined;
  }
}

const lsnBytes = (lsn: string) => {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
};

export async function pgSnapshot(pool: Pool): Promise<PgSnapshot> {
  const { rows: backends } = await pool.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`,
  );
  const cpu = new Map<number, number>();
  for (const { pid } of backends) {
    const ms = processCpuMs(pid);
    if (ms !== undefined) cpu.set(pid, ms);
  }
  const { rows: wal } = await pool.query<{ lsn: string; checkpoints: number; blocks: number }>(
    `SELECT pg_current_wal_lsn()::text AS lsn, (checkpoints_timed + checkpoints_req)::int AS checkpoints,
            (SELECT blks_read::float8 FROM pg_stat_database WHERE datname = current_database()) AS blocks
     FROM pg_stat_bgwriter`,
  );
  const { rows: tables } = await pool.query<PgSnapshot['tables'][number]>(
    `SELECT relname AS name, n_live_tup::float8 AS live, n_dead_tup::float8 AS dead,
            pg_total_relation_size(relid)::float8 AS bytes,
            (vacuum_count + autovacuum_count)::int AS vacuums, (analyze_count + autoanalyze_count)::int AS analyzes
     FROM pg_stat_user_tables WHERE relname IN ('traces', 'spans', 'rollup_dirty') ORDER BY relname`,
  );
  return { cpu, walLsn: lsnBytes(wal[0].lsn), checkpoints: wal[0].checkpoints, blocksRead: wal[0].blocks, tables };
}

/** One line: backend CPU ms and cluster WAL bytes per trace, and each table's size and tuples after. */
export function pgDelta(before: PgSnapshot, after: PgSnapshot, traces: number): string {
  let cpu = 0;
  // A backend that exited during the round is missed; one that started counts from zero.
  for (const [pid, ms] of after.cpu) cpu += ms - (before.cpu.get(pid) ?? 0);
  const per = Math.max(1, traces);
  // No backend in /proc: PostgreSQL runs elsewhere (another machine, a container).
  const cpuText = after.cpu.size > 0 ? `${(cpu / per).toFixed(2)} ms CPU` : 'CPU not readable here';
  const wal = Number(after.walLsn - before.walLsn) / per;
  const tables = after.tables
    .map(
      (t) =>
        `${t.name} ${(t.bytes / 1048576).toFixed(0)} MB ${(t.live / 1000).toFixed(0)}k live ${(t.dead / 1000).toFixed(0)}k dead v${t.vacuums} a${t.analyzes}`,
    )
    .join('; ');
  const checkpoints = after.checkpoints - before.checkpoints;
  const reads = (after.blocksRead - before.blocksRead) / per;
  return `backends ${cpuText} and ${reads.toFixed(1)} blocks read per trace, WAL ${(wal / 1024).toFixed(1)} KB per trace and ${checkpoints} checkpoints (cluster); ${tables}`;
}
