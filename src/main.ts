import './config/dotenv';
import 'reflect-metadata';
import { exitOnStartupError, preflight } from './bootstrap/preflight';
import { loadConfig } from './config/env';

async function main(): Promise<void> {
  const config = loadConfig();
  // Dependencies are checked before the application's modules load, so a missing one is reported in
  // about a second rather than after the whole framework has loaded.
  await preflight(config);
  const { startApi } = await import('./start-api.js');
  await startApi(config);
}

main().catch(exitOnStartupError);
