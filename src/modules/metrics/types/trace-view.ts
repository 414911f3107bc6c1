/**
 * What the judge sees of a trace. The traces module renders TraceViews from its rows (its
 * TracesForJudging port) and owns the shape; the metrics never touch entities.
 */
export type { SessionTurn, SpanView, TraceView } from '../../traces/traces-for-judging';
export { CutString, textKey } from '../../traces/cut-text';
