import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '../../common/errors/domain.error';
import type { FieldError } from '../../common/validation/validation';
import { validateTraceCreate } from '../traces/pipes/ingest-validation';
import { TracesService } from '../traces/traces.service';
import { mapExport, type RejectedSpans, type TraceWrite } from './mapping/map-trace';
import type { PartialSuccess } from './wire/otlp-proto';
import type { OtlpSpan } from './wire/otlp-model';

/** Trace writes of one export in flight at once: the insert batcher groups them into few statements. */
const WRITES_IN_FLIGHT = 8;

/** Refusals that are final for the spans concerned: reported in partial_success, not as a failed export. */
const FINAL = new Set<ErrorCode>([ErrorCode.CONFLICT, ErrorCode.PAYLOAD_TOO_LARGE, ErrorCode.VALIDATION_FAILED]);

/** Errors of the validator for the spans at these indexes of the write's span list. */
function badSpanIndexes(errors: FieldError[]): Set<number> {
  const bad = new Set<number>();
  for (const e of errors) {
    const m = /^spans -> (\d+)/.exec(e.field);
    if (m) bad.add(Number(m[1]));
  }
  return bad;
}

const describe = (errors: FieldError[]) => errors.map((e) => `${e.field}: ${e.message}`).join('; ');

/**
 * OTLP trace export → the traces module's ingestion: every trace of the export is validated by the
 * same rules as POST /traces and written through TracesService.ingest (same merge, bounds, batching,
 * commit before the answer). Spans that cannot be stored are counted in partial_success; anything
 * else (database or Redis down) fails the export so the exporter retries it.
 */
@Injectable()
export class OtlpService {
  constructor(private readonly traces: TracesService) {}

  async export(projectId: string, spans: OtlpSpan[]): Promise<PartialSuccess | null> {
    const { writes, rejected } = mapExport(spans);
    const queue = [...writes];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const refused = await this.write(projectId, next);
        if (refused) rejected.push(refused);
      }
    };
    await Promise.all(Array.from({ length: Math.min(WRITES_IN_FLIGHT, writes.length) }, worker));
    if (rejected.length === 0) return null;
    const count = rejected.reduce((n, r) => n + r.count, 0);
    const reasons = rejected.slice(0, 5).map((r) => r.reason);
    const more = rejected.length > 5 ? ` (and ${rejected.length - 5} more)` : '';
    return { rejectedSpans: count, errorMessage: `${reasons.join(' | ')}${more}` };
  }

  /** One trace write; returns the spans refused for good, or null when all were stored. */
  private async write(projectId: string, write: TraceWrite): Promise<RejectedSpans | null> {
    const traceId = write.trace.trace_id as string;
    let { value, errors } = validateTraceCreate(write.trace);
    let dropped: RejectedSpans | null = null;
    const bad = badSpanIndexes(errors);
    if (!value && bad.size > 0) {
      // Refuse the bad spans only; the rest of the trace is still written.
      dropped = { count: bad.size, reason: `trace ${traceId}: ${describe(errors)}` };
      const spans = (write.trace.spans ?? []).filter((_s, i) => !bad.has(i));
      if (spans.length === 0) return dropped;
      ({ value, errors } = validateTraceCreate({ ...write.trace, spans }));
    }
    if (!value) return { count: write.spanCount, reason: `trace ${traceId}: ${describe(errors)}` };
    try {
      await this.traces.ingest(projectId, value, undefined, { provisional: write.provisional });
      return dropped;
    } catch (err) {
      if (err instanceof DomainError && FINAL.has(err.code)) {
        return { count: write.spanCount, reason: `trace ${traceId}: ${err.message}` };
      }
      throw err;
    }
  }
}
