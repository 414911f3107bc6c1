import { Controller, Get } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';

/** `GET /`: where to go from here (a browser or curl pointed at the bare address). */
@ApiExcludeController()
@Controller()
export class RootController {
  @Get()
  index() {
    return {
      service: 'PandaProbe-compatible evaluation API',
      docs: '/docs',
      openapi: '/openapi.json',
      health: '/health',
      detail: 'No resource here: the routes are in the Swagger UI at /docs (the document at /openapi.json).',
    };
  }
}
