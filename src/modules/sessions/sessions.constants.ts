/** Sort keys of GET /sessions, as the original's SessionSortBy spells them. */
export const SESSION_SORT_FIELDS = ['recent', 'trace_count', 'latency', 'cost'] as const;
export type SessionSortField = (typeof SESSION_SORT_FIELDS)[number];

/** Traces per page of GET /sessions/{session_id}: the original's bounds and default. */
export const SESSION_TRACES_DEFAULT_LIMIT = 200;
export const SESSION_TRACES_MAX_LIMIT = 1000;
