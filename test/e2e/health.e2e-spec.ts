import { createTestApp, TestApp } from '../support/test-app';

describe('health', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('reports liveness and readiness of PostgreSQL and Redis', async () => {
    await t.http.get('/health').expect(200);
    const ready = await t.http.get('/health/ready').expect(200);
    expect(ready.body.status).toBe('ok');
    expect(ready.body.details).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
  });

  it('echoes an incoming X-Request-ID and generates one otherwise', async () => {
    const echoed = await t.http.get('/health').set('X-Request-ID', 'abc-123');
    expect(echoed.headers['x-request-id']).toBe('abc-123');
    const generated = await t.http.get('/health');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers / with a pointer to the docs, not a 404', async () => {
    const res = await t.http.get('/').expect(200);
    expect(res.body).toMatchObject({ docs: '/docs', openapi: '/openapi.json' });
    expect(res.body.detail).toContain('Swagger UI at /docs');
  });

  it('answers unknown routes with 404 in the error body', async () => {
    const res = await t.http.get('/nope').expect(404);
    expect(res.body).toEqual({ detail: 'Route GET /nope not found.' });
  });
});

describe('request shape', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('refuses JSON nested deeper than the limit with 422, before validation recurses into it', async () => {
    const deep = `{"name":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const res = await t.http.post('/organizations').set('Content-Type', 'application/json').send(deep).expect(422);
    expect(res.body).toEqual({
      detail: 'Validation error',
      errors: [{ field: 'body', message: 'JSON is nested more than 100 levels deep.' }],
    });
  });

  it('counts brackets inside strings as text, not nesting', async () => {
    const res = await t.http
      .post('/organizations')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ name: '['.repeat(500) }));
    expect(res.status).toBe(401); // reached auth: the body was accepted by the parser
  });

  it('refuses a write whose body is not JSON with 415 instead of treating it as empty', async () => {
    const res = await t.http
      .patch(`/traces/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`)
      .set('Content-Type', 'text/plain')
      .send('{"name":"x"}')
      .expect(415);
    expect(res.body).toEqual({ detail: 'Content-Type must be application/json.' });
  });

  it('says a body must be an object or array when it is valid JSON of another kind', async () => {
    for (const body of ['null', '0', '"abc"']) {
      const res = await t.http.post('/organizations').set('Content-Type', 'application/json').send(body).expect(422);
      expect(res.body.errors).toEqual([{ field: 'body', message: 'Request body must be a JSON object or array.' }]);
    }
  });
});
