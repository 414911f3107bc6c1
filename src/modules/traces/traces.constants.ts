/** Enum values as they travel on the wire (UPPERCASE) and as the CHECK constraints spell them. */
export const TRACE_STATUSES = ['PENDING', 'RUNNING', 'COMPLETED', 'ERROR'] as const;
export type TraceStatus = (typeof TRACE_STATUSES)[number];

export const SPAN_KINDS = ['AGENT', 'TOOL', 'LLM', 'RETRIEVER', 'CHAIN', 'EMBEDDING', 'OTHER'] as const;
export type SpanKind = (typeof SPAN_KINDS)[number];

export const SPAN_STATUSES = ['UNSET', 'OK', 'ERROR'] as const;
export type SpanStatus = (typeof SPAN_STATUSES)[number];

export const TRACE_SORT_FIELDS = ['started_at', 'ended_at', 'name', 'latency', 'status'] as const;
export type TraceSortField = (typeof TRACE_SORT_FIELDS)[number];

export const SORT_ORDERS = ['asc', 'desc'] as const;
export type SortOrder = (typeof SORT_ORDERS)[number];

/** Limits of the ingestion contract. */
export const MAX_SPANS_PER_REQUEST = 500;
export const MAX_BATCH_TRACE_IDS = 500;
export const MAX_NAME_LENGTH = 512;
export const MAX_SHORT_TEXT_LENGTH = 255;
export const MAX_TAGS = 100;
