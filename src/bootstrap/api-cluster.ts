import cluster, { type Worker } from 'node:cluster';

/** One JSON line, like the processes' own pino logs. */
function log(level: 'info' | 'error', msg: string): void {
  const line = { level: level === 'info' ? 30 : 50, time: Date.now(), pid: process.pid, context: 'ApiCluster', msg };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/**
 * API_PROCESSES > 1: this (primary) process only forks that many API processes, which share the
 * listening port (node:cluster hands out connections round-robin), and supervises them. Nothing a
 * request needs is per process except caches: limits are counted in Redis, data is in PostgreSQL.
 * A process that dies after starting is replaced; one that dies before listening stops the whole
 * service (a start-up error would only repeat). SIGTERM/SIGINT are passed on and the primary exits
 * once every process has drained.
 */
export function runApiCluster(processes: number): void {
  let stopping = false;
  const listening = new WeakSet<Worker>();

  const fork = () => {
    const worker = cluster.fork();
    worker.on('listening', () => listening.add(worker));
  };

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(process.exitCode ?? 0);
      return;
    }
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (!listening.has(worker)) {
      log('error', `API process ${worker.process.pid} failed to start (${how}); stopping.`);
      stop();
      process.exitCode = code || 1;
      return;
    }
    log('error', `API process ${worker.process.pid} exited (${how}); starting another.`);
    fork();
  });

  const stop = () => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    if (workers.length === 0) process.exit(process.exitCode ?? 0);
    for (const w of workers) w.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  log('info', `Starting ${processes} API processes`);
  for (let i = 0; i < processes; i++) fork();
}
