import { BadRequestException, Body, Controller, HttpException, Post, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ErrorResponseDto } from '../../common/dto/error-response.dto';
import { DomainError, ErrorCode } from '../../common/errors/domain.error';
import { httpStatusFor } from '../../common/errors/http-status-for';
import { Auth } from '../auth/decorators/auth.decorator';
import { ProjectId } from '../auth/decorators/current-project.decorator';
import { ExportTraceServiceResponseDto, OTLP_JSON_SCHEMA } from './dto/export-response.dto';
import { OtlpService } from './otlp.service';
import { OTLP_PROTOBUF } from './otlp.paths';
import { decodeTraceRequest, encodeTraceResponse, type PartialSuccess } from './wire/otlp-proto';
import { readExport } from './wire/read-export';

/** Seconds an exporter is asked to wait when a write failed for a reason that will pass. */
const RETRY_AFTER_SECONDS = 1;

const badRequest = (message: string) => new BadRequestException(message);

@ApiTags('otlp')
@Controller()
export class OtlpController {
  constructor(private readonly otlp: OtlpService) {}

  @Post(['v1/traces', 'otlp/v1/traces'])
  @Auth({ limit: 'ingest' })
  @ApiOperation({
    summary: 'OTLP/HTTP trace export',
    description:
      'ExportTraceServiceRequest as application/x-protobuf or application/json (OTLP/JSON), optionally ' +
      'gzip-encoded; the same route answers at /otlp/v1/traces. Answers 200 once every stored span is ' +
      "committed, with an ExportTraceServiceResponse in the request's encoding; spans that cannot be " +
      'stored are counted in partial_success. 400: undecodable body; 429/503 carry Retry-After. ' +
      'Mapping: docs/otlp.md.',
  })
  @ApiConsumes('application/x-protobuf', 'application/json')
  @ApiProduces('application/x-protobuf', 'application/json')
  @ApiBody({ schema: OTLP_JSON_SCHEMA })
  @ApiOkResponse({ type: ExportTraceServiceResponseDto })
  @ApiPayloadTooLargeResponse({ description: 'The body is larger than BODY_LIMIT_BYTES.', type: ErrorResponseDto })
  async export(
    @ProjectId() projectId: string,
    @Req() req: Request,
    @Res() res: Response,
    @Body() body: unknown,
  ): Promise<void> {
    const protobuf = Buffer.isBuffer(body);
    const spans = readExport(protobuf ? decode(body) : jsonBody(body), protobuf ? 'protobuf' : 'hex');
    const partial = await this.exportOrRetry(projectId, spans);
    if (protobuf || req.is(OTLP_PROTOBUF)) {
      res.status(200).type(OTLP_PROTOBUF).send(encodeTraceResponse(partial));
    } else {
      res.status(200).json(partial ? { partialSuccess: partial } : {});
    }
  }

  /**
   * A failure that is not about the data (database or Redis unreachable, a pool timeout) becomes a
   * 503 with Retry-After: OTLP exporters retry 503 and drop on 500.
   */
  private async exportOrRetry(projectId: string, spans: ReturnType<typeof readExport>): Promise<PartialSuccess | null> {
    try {
      return await this.otlp.export(projectId, spans);
    } catch (err) {
      const status =
        err instanceof DomainError ? httpStatusFor(err.code) : err instanceof HttpException ? err.getStatus() : 500;
      if (status < 500) throw err;
      const message = err instanceof DomainError ? err.message : 'The traces could not be stored right now.';
      throw new DomainError(ErrorCode.DEPENDENCY_UNAVAILABLE, `${message} Retry the export.`, {
        retryAfterSeconds: RETRY_AFTER_SECONDS,
      });
    }
  }
}

function decode(body: Buffer): object {
  try {
    return decodeTraceRequest(body);
  } catch (err) {
    throw badRequest(`The body is not an OTLP ExportTraceServiceRequest: ${(err as Error).message}`);
  }
}

function jsonBody(body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('The body must be an OTLP/JSON ExportTraceServiceRequest object (or application/x-protobuf).');
  }
  return body;
}
