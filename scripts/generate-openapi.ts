import '../src/config/dotenv';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config/env';
import { renderOpenApiDocument, serializeDocument } from './openapi-document';

// npm run openapi:generate: rewrites the committed openapi.json (needs PostgreSQL and Redis up,
// since the real application module is built). A test fails while the file is stale.
async function main(): Promise<void> {
  const doc = await renderOpenApiDocument(loadConfig({ ...process.env, LOG_LEVEL: 'silent', INIT_ORG_NAME: '' }));
  const target = join(__dirname, '..', '..', 'openapi.json');
  writeFileSync(target, serializeDocument(doc));
  console.log(`wrote ${target} (${Object.keys(doc.paths).length} paths)`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
