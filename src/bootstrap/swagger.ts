import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { SECURITY } from '../modules/auth/decorators/auth.decorator';
import { declareBodyErrors } from './openapi-body-errors';
import { applyExamples } from './openapi-examples';
import { applySuccessExamples } from './openapi-success-examples';
import { applyTags } from './openapi-tags';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('PandaProbe-compatible evaluation API')
    .setDescription(
      'Ingest agent traces and score them with LLM-judged metrics. Data-plane routes take either ' +
        '`X-API-Key` + `X-Project-Name` or `Authorization: Bearer <JWT>` + `X-Project-ID`.',
    )
    .setVersion('0.1.0')
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'Organization API key (sk_pp_…)' },
      SECURITY.apiKey,
    )
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'X-Project-Name',
        description: 'Project name; created on first use with an API key',
      },
      SECURITY.projectName,
    )
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, SECURITY.bearer)
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'X-Project-ID', description: 'Project id, with a Bearer token' },
      SECURITY.projectId,
    )
    .build();
  return applyTags(
    applySuccessExamples(
      declareBodyErrors(
        applyExamples(
          SwaggerModule.createDocument(app, config, {
            operationIdFactory: (controllerKey, methodKey) =>
              `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
          }),
        ),
      ),
    ),
  );
}

/**
 * Swagger UI at /docs and the document at /openapi.json. The document is built on the first request
 * for either (then kept): building it walks every route's metadata and costs the API ~10 MB of heap
 * and a burst of garbage at start, for a page most deployments never open (docs/performance.md).
 */
export function setupSwagger(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'openapi.json', raw: ['json'] });
}
