import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { SECURITY } from '../modules/auth/decorators/auth.decorator';
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
      applyExamples(
        SwaggerModule.createDocument(app, config, {
          operationIdFactory: (controllerKey, methodKey) => `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
        }),
      ),
    ),
  );
}

/** Swagger UI at /docs and the document at /openapi.json. */
export function setupSwagger(app: INestApplication): OpenAPIObject {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', raw: ['json'] });
  return document;
}
