import './config/dotenv';
import 'reflect-metadata';
import cluster from 'node:cluster';
import { runApiCluster } from './bootstrap/api-cluster';
import { exitOnStartupError, preflight } from './bootstrap/preflight';
import { loadConfig } from './config/env';

async function main(): Promise<void> {
  const config = loadConfig();
  // Dependencies are checked before the application's modules load, so a missing one is reported in
  // about a second rather than after the whole framework has loaded.
  // (Once, in the primary: forked API processes inherit a checked environment.)
  if (cluster.isPrimary) await preflight(config);
  if (cluster.isPrimary && config.apiProcesses > 1) return runApiCluster(config.apiProcesses);
  const { startApi } = await import('./start-api.js');
  await startApi(config);
}

main().catch(exitOnStartupError);
