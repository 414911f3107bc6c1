/**
 * What PostgreSQL does for one bench database over a measured stretch of work, read from the
 * server as it is (no pg_stat_statements, no setting changed):
 *
 * - CPU of the database's backends (autovacuum workers included): utime + stime from /proc of
 *   every pid pg_stat_activity lists for the database, sampled (call `sample()` often: a backend
 *   that exits between samples loses its last stretch), the bench's own connections left out
 *   (application_name `bench`);
 * - transactions (pg_stat_database), rows inserted / updated (of them HOT) / deleted per table
 *   (pg_stat_user_tables), index entries read (pg_stat_user_indexes);
 * - WAL: the cluster's LSN delta (every database's), and with BENCH_PG_WALDUMP=1, when the bench
 *   runs as a user who can read the server's pg_wal (root or postgres) on the same machine, this
 *   database's share decoded with pg_waldump and attributed to its tables and indexes.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Pool } from 'pg';

interface TableRow {
  relname: string;
  ins: number;
  upd: number;
  hot: number;
  del: number;
}

const ticksMs = (pid: number): number | null => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
};

export interface Footprint {
  backendCpuMs: number;
  transactions: number;
  tables: Array<TableRow & { relname: string }>;
  clusterWalBytes: number;
  /** relation (table or index) → WAL bytes of this database, when decoded. */
  wal?: { bytes: number; records: number; byRelation: Map<string, number>; commits: number };
}

export class PgFootprint {
  private readonly firstCpu = new Map<number, number>();
  private readonly lastCpu = new Map<number, number>();
  private startTables = new Map<string, TableRow>();
  private startXacts = 0;
  private startLsn = '0/0';
  private wal: WalReader | null = null;

  constructor(private readonly pool: Pool) {}

  async start(): Promise<void> {
    this.firstCpu.clear();
    this.lastCpu.clear();
    this.startLsn = (await this.pool.query(`SELECT pg_current_wal_lsn()::text AS l`)).rows[0].l;
    if (process.env.BENCH_PG_WALDUMP === '1') {
      // pg_waldump gives up on a start with no record on disk after it (an idle server): one, flushed.
      await this.markWal('start');
      const { rows } = await this.pool.query(
        `SELECT (SELECT oid FROM pg_database WHERE datname = current_database())::text AS db,
                current_setting('data_directory') AS dir`,
      );
      this.wal = new WalReader(join(rows[0].dir, 'pg_wal'), this.startLsn, rows[0].db);
    }
    await this.pool.query('SELECT pg_stat_clear_snapshot()');
    this.startTables = await this.tables();
    this.startXacts = await this.xacts();
    await this.sample(true);
  }

  /** Reads the CPU of the database's backends; `baseline`: those seen now count from here. */
  async sample(baseline = false): Promise<void> {
    const { rows } = await this.pool.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name <> 'bench'`,
    );
    for (const { pid } of rows) {
      const ms = ticksMs(pid);
      if (ms === null) continue;
      if (!this.firstCpu.has(pid)) this.firstCpu.set(pid, baseline ? ms : 0);
      this.lastCpu.set(pid, ms);
    }
  }

  /** Call once the measured work is over (waits for the backends to report their statistics). */
  async finish(): Promise<Footprint> {
    await this.sample();
    await new Promise((r) => setTimeout(r, 1500));
    await this.sample();
    await this.pool.query('SELECT pg_stat_clear_snapshot()');
    const endLsn: string = (await this.pool.query(`SELECT pg_current_wal_lsn()::text AS l`)).rows[0].l;
    const [{ bytes }] = (
      await this.pool.query(`SELECT pg_wal_lsn_diff($1, $2)::float8 AS bytes`, [endLsn, this.startLsn])
    ).rows;
    let backendCpuMs = 0;
    for (const [pid, last] of this.lastCpu) backendCpuMs += last - this.firstCpu.get(pid)!;
    const end = await this.tables();
    const tables = [...end.values()]
      .map((t) => {
        const s = this.startTables.get(t.relname) ?? { ins: 0, upd: 0, hot: 0, del: 0 };
        return { relname: t.relname, ins: t.ins - s.ins, upd: t.upd - s.upd, hot: t.hot - s.hot, del: t.del - s.del };
      })
      .filter((t) => t.ins || t.upd || t.del);
    // A record after the end, for pg_waldump to read up to (an idle server writes none).
    if (this.wal) await this.markWal('end');
    const wal = this.wal ? await this.wal.finish(endLsn, await this.relationNames()) : undefined;
    this.wal = null;
    return {
      backendCpuMs,
      transactions: (await this.xacts()) - this.startXacts,
      tables,
      clusterWalBytes: Number(bytes),
      wal,
    };
  }

  private async tables(): Promise<Map<string, TableRow>> {
    const { rows } = await this.pool.query<TableRow>(
      `SELECT relname, n_tup_ins::float8 AS ins, n_tup_upd::float8 AS upd, n_tup_hot_upd::float8 AS hot, n_tup_del::float8 AS del
       FROM pg_stat_user_tables`,
    );
    return new Map(rows.map((r) => [r.relname, r]));
  }

  /** A WAL record (a logical message, in a transaction of its own, so flushed at its commit). */
  private async markWal(text: string): Promise<void> {
    await this.pool.query(`SELECT pg_logical_emit_message(true, 'pp-bench', $1)`, [text]);
  }

  /** filenode → relation name, of every table and index of the database. */
  private async relationNames(): Promise<Map<string, string>> {
    const { rows } = await this.pool.query(
      `SELECT pg_relation_filenode(oid)::text AS node, relname FROM pg_class WHERE pg_relation_filenode(oid) IS NOT NULL`,
    );
    return new Map(rows.map((r) => [r.node, r.relname]));
  }

  private async xacts(): Promise<number> {
    const { rows } = await this.pool.query(
      `SELECT (xact_commit + xact_rollback)::float8 AS n FROM pg_stat_database WHERE datname = current_database()`,
    );
    return Number(rows[0].n);
  }
}

const lsn = (text: string): bigint => {
  const [hi, lo] = text.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
};

/**
 * This database's WAL from an LSN on, decoded as it is written (`pg_waldump --follow`, at the
 * lowest priority: on a shared server a checkpoint may recycle segments before the work is over):
 * every record with a block of one of the database's relations, attributed to the first block's
 * relation, and the commit records of the transactions that wrote them. Its CPU is its own
 * process's, in neither the worker's nor the backends' figures.
 */
class WalReader {
  private readonly byNode = new Map<string, number>();
  private readonly ours = new Set<string>();
  private bytes = 0;
  private records = 0;
  private commits = 0;
  private commitBytes = 0;
  private error = '';
  /** A record at or after the end was read: everything before it was. */
  private complete = false;
  private end: bigint | null = null;
  private reached: (() => void) | null = null;
  private readonly child: ReturnType<typeof spawn>;
  private readonly done: Promise<void>;

  constructor(
    walDir: string,
    from: string,
    private readonly db: string,
  ) {
    const bin = process.env.BENCH_PG_WALDUMP_BIN ?? '/usr/lib/postgresql/15/bin/pg_waldump';
    this.child = spawn('nice', ['-n', '19', bin, '-f', '-p', walDir, '-s', from], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.error += d.toString()));
    this.done = (async () => {
      for await (const line of createInterface({ input: this.child.stdout! })) this.line(line);
    })();
  }

  private line(line: string): void {
    const m = /len \(rec\/tot\):\s*\d+\/\s*(\d+), tx:\s*(\d+), lsn: ([0-9A-F]+\/[0-9A-F]+)/.exec(line);
    if (!m) return;
    const at = lsn(m[3]);
    if (this.end !== null && at >= this.end) {
      this.complete = true;
      this.reached?.();
      return;
    }
    const tot = Number(m[1]);
    const rel = /rel \d+\/(\d+)\/(\d+)/.exec(line);
    if (rel && rel[1] === this.db) {
      this.byNode.set(rel[2], (this.byNode.get(rel[2]) ?? 0) + tot);
      this.bytes += tot;
      this.records += 1;
      this.ours.add(m[2]);
    } else if (line.includes('desc: COMMIT') && this.ours.delete(m[2])) {
      this.commits += 1;
      this.commitBytes += tot;
    }
  }

  /** Reads up to `to` (two minutes at most), stops, and names the relations. */
  async finish(to: string, names: Map<string, string>): Promise<NonNullable<Footprint['wal']>> {
    this.end = lsn(to);
    if (!this.complete) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((r) => (this.reached = r)),
        this.done,
        new Promise((r) => (timer = setTimeout(r, 120_000))),
      ]);
      clearTimeout(timer);
    }
    this.child.kill();
    await this.done.catch(() => undefined);
    if (!this.complete) console.log(`    pg_waldump did not reach the end: ${this.error.trim().slice(0, 300)}`);
    const byRelation = new Map<string, number>();
    for (const [node, b] of this.byNode) byRelation.set(names.get(node) ?? `filenode ${node}`, b);
    byRelation.set('(commit records)', this.commitBytes);
    return { bytes: this.bytes + this.commitBytes, records: this.records, byRelation, commits: this.commits };
  }
}

/** Prints a footprint per unit of work (`n` evaluations). */
export function printFootprint(f: Footprint, n: number, unit = 'evaluation'): void {
  const per = (x: number, d = 3) => (x / n).toFixed(d);
  console.log(
    `    PostgreSQL per ${unit}: backend CPU ${per(f.backendCpuMs)} ms | ${per(f.transactions)} transactions | ` +
      `WAL ${per(f.clusterWalBytes, 0)} B (whole cluster, every database)` +
      (f.wal ? ` | this database's WAL ${per(f.wal.bytes, 0)} B in ${per(f.wal.records, 2)} records` : ''),
  );
  for (const t of f.tables.sort((a, b) => b.ins + b.upd + b.del - (a.ins + a.upd + a.del))) {
    console.log(
      `      ${t.relname.padEnd(26)} inserted ${per(t.ins)} | updated ${per(t.upd)} (HOT ${per(t.hot)}) | deleted ${per(t.del)}`,
    );
  }
  if (f.wal) {
    const top = [...f.wal.byRelation].sort((a, b) => b[1] - a[1]).slice(0, 16);
    console.log(`      WAL by relation (B per ${unit}): ${top.map(([r, b]) => `${r} ${per(b, 0)}`).join(', ')}`);
  }
}
