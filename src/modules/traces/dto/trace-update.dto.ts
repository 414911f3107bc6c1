import { TRACE_STATUSES, TraceStatus } from '../traces.constants';
import { AnyJson, OptionalJsonObject, OptionalOneOf, UpdatedName } from './field.decorators';
import { withTraceTail } from './shared-tails';

/** PATCH /traces/{trace_id} up to metadata. */
class TraceUpdateHead {
  @UpdatedName()
  name?: string | null;

  @OptionalOneOf(TRACE_STATUSES, { nullable: true })
  status?: TraceStatus | null;

  @AnyJson('Any JSON value; null clears it.')
  input?: unknown;

  @AnyJson('Any JSON value; null clears it.')
  output?: unknown;

  @OptionalJsonObject({
    nullable: true,
    description: 'Merged into the stored metadata.',
  })
  metadata?: Record<string, unknown> | null;
}

/**
 * Body of PATCH /traces/{trace_id}. Only the keys sent are applied; `null` clears a nullable field and
 * is ignored for `name`, `status`, `tags` and `metadata`. `tags` replaces the list; `metadata` is
 * merged key by key into the stored object.
 */
export class TraceUpdateDto extends withTraceTail(TraceUpdateHead, {
  nullable: true,
  description: 'Replaces the stored tags.',
}) {}
