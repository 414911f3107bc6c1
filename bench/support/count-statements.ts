/**
 * Preloaded into a bench's process (`--require dist/bench/support/count-statements.js`): counts the
 * statements the process sends to PostgreSQL through `pg`, by their first words, with the CPU the
 * server's backend spent on each (its /proc/<pid>/schedstat run time, in ns, from the query's
 * start, or the end of the one before it on that connection, to its end; the server on this
 * machine). pg_stat_statements needs a server setting, and the machines the benches run on are
 * taken as they are. On each SIGWINCH (Nest's shutdown hooks take SIGUSR2, and re-raise SIGTERM,
 * so there is no 'exit' to write at) the figures so far go to BENCH_STATEMENT_LOG.1, .2, …
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Client } from 'pg';

const out = process.env.BENCH_STATEMENT_LOG;

const runNs = (pid: number | undefined): number | null => {
  if (!pid) return null;
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return null;
  }
};

interface Tracked {
  active: number;
  last: number | null;
}

if (out) {
  const figures = new Map<string, { n: number; cpuNs: number }>();
  const tracked = new WeakMap<Client, Tracked>();
  const query = Client.prototype.query as (...args: unknown[]) => unknown;
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string } | undefined;
    const text = typeof first === 'string' ? first : (first?.text ?? '');
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 90);
    const pid = (this as unknown as { processID?: number }).processID;
    const t = tracked.get(this) ?? { active: 0, last: null };
    tracked.set(this, t);
    if (t.active++ === 0) t.last = runNs(pid);
    const done = () => {
      t.active -= 1;
      const now = runNs(pid);
      const f = figures.get(key) ?? { n: 0, cpuNs: 0 };
      f.n += 1;
      if (now !== null && t.last !== null) f.cpuNs += now - t.last;
      figures.set(key, f);
      t.last = now;
    };
    const callback = args.at(-1);
    if (typeof callback === 'function') {
      args[args.length - 1] = (...r: unknown[]) => {
        done();
        return (callback as (...r: unknown[]) => unknown)(...r);
      };
      return query.apply(this, args);
    }
    const result = query.apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(done, done);
    } else done();
    return result;
  } as typeof Client.prototype.query;
  let written = 0;
  process.on('SIGWINCH', () => writeFileSync(`${out}.${++written}`, JSON.stringify(Object.fromEntries(figures))));
}
