import './config/dotenv';
import 'reflect-metadata';
import { exitOnStartupError, preflight } from './bootstrap/preflight';
import { loadConfig } from './config/env';

async function main(): Promise<void> {
  const config = loadConfig();
  // Dependencies first, before the application's modules load (see main.ts).
  await preflight(config);
  const { startWorker } = await import('./start-worker.js');
  await startWorker(config);
}

main().catch(exitOnStartupError);
