/**
 * Preloaded by the memory bench into the processes it measures (`node -r …/usage-probe.js`), never
 * by the service: on SIGWINCH (ignored by default, and not one of the signals Nest's shutdown hooks catch, as SIGUSR2 is) it writes the process's memory split (V8 heap, external, array buffers)
 * to `$BENCH_USAGE_DIR/<pid>.json`, so the bench can say what the RSS it samples is made of.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapSpaceStatistics } from 'node:v8';

const dir = process.env.BENCH_USAGE_DIR;
if (dir) {
  process.on('SIGWINCH', () => {
    const mb = (n: number) => Math.round(n / 1048576);
    const usage = process.memoryUsage();
    const spaces = Object.fromEntries(
      getHeapSpaceStatistics().map((s) => [s.space_name, { size: mb(s.space_size), used: mb(s.space_used_size) }]),
    );
    const report = {
      rss: mb(usage.rss),
      heapTotal: mb(usage.heapTotal),
      heapUsed: mb(usage.heapUsed),
      external: mb(usage.external),
      arrayBuffers: mb(usage.arrayBuffers),
      spaces,
    };
    // Written aside, then renamed: the bench polls for the file and must never read half of it.
    const file = join(dir, `${process.pid}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(report));
    renameSync(`${file}.tmp`, file);
  });
}
