import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderOpenApiDocument, serializeDocument } from '../../scripts/openapi-document';
import { createTestApp, TestApp } from '../support/test-app';

describe('OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('the committed openapi.json matches the code (run `npm run openapi:generate` when this fails)', async () => {
    const committed = readFileSync(join(__dirname, '..', '..', 'openapi.json'), 'utf8');
    expect(serializeDocument(await renderOpenApiDocument(t.config))).toBe(committed);
  });

  it('is served at /openapi.json with both security schemes and the project headers', async () => {
    const res = await t.http.get('/openapi.json').expect(200);
    const schemes = res.body.components.securitySchemes;
    expect(schemes.ApiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    expect(schemes.ProjectName).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Project-Name' });
    expect(schemes.Bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.ProjectID).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Project-ID' });
    const op = res.body.paths['/projects/current'].get;
    expect(op.security).toEqual([
      { ApiKey: [], ProjectName: [] },
      { Bearer: [], ProjectID: [] },
    ]);
  });

  it('types every property: none is a bare "object" (reflection reports `string | null` as Object)', () => {
    const doc = JSON.parse(readFileSync(join(__dirname, '..', '..', 'openapi.json'), 'utf8'));
    const bare = Object.entries(doc.components.schemas as Record<string, { properties?: object }>).flatMap(
      ([schema, { properties }]) =>
        Object.entries((properties ?? {}) as Record<string, Record<string, unknown>>)
          .filter(([, p]) => p.type === 'object' && !p.properties && !p.additionalProperties && !p.allOf)
          .map(([name]) => `${schema}.${name}`),
    );
    expect(bare).toEqual([]);
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await t.http.get('/docs/').expect(200);
    expect(res.text).toContain('swagger-ui');
  });
});
