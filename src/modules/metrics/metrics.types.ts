import type { JudgeQuota } from '../quotas/judge-quota';
import type { CallBudget, JudgeAttempt, JudgeUsage } from '../judge/judge.types';
import type { MetricDefinition, PromptPreview } from './metric-definition';

export type { PromptPreview } from './metric-definition';
import type { SessionTurn, TraceView } from './types/trace-view';

export type { JudgeUsage } from '../judge/judge.types';

/** The result of one metric on one trace: a score, or the reason it could not be computed. */
export type MetricOutcome = (
  | {
      metric: string;
      ok: true;
      score: number;
      reason: string | null;
      metadata: Record<string, unknown>;
      usage: JudgeUsage;
      /** The value as stored when it is not the score (a custom BOOLEAN or CATEGORICAL answer). */
      value?: string;
    }
  | {
      metric: string;
      ok: false;
      error: string;
      usage: JudgeUsage;
      /** Stopped from outside (the caller's signal or guard), not a verdict: the metric is unfinished. */
      interrupted?: true;
    }
) & {
  /** The metric's version: a built-in's prompt hash, a custom metric's version number (as text). */
  version?: string;
  /** The data type of the metric's scores (NUMERIC when absent). */
  dataType?: 'NUMERIC' | 'BOOLEAN' | 'CATEGORICAL';
  /** Every judge attempt the metric made (absent when it made none). */
  transcript?: JudgeAttempt[];
};

export interface TraceMetricSummary {
  name: string;
  description: string;
  category: 'trace' | 'custom';
}

export interface SessionMetricSummary {
  name: string;
  description: string;
  category: 'session';
}


export interface TraceRunTemplate {
  metric: {
    name: string;
    description: string;
    category: 'trace' | 'custom';
    default_threshold: number;
    prompt_preview: PromptPreview[];
  };
  filters: {
    date_from: null;
    date_to: null;
    status: null;
    session_id: null;
    user_id: null;
    tags: null;
    name: null;
  };
  sampling_rate: number;
  model: string;
}

export interface EvaluateTraceOptions {
  /** `provider/model` or a bare name; EVAL_LLM_MODEL when absent. */
  model?: string;
  /** The trace's project: scopes the embedding cache (no caching without it). */
  projectId?: string;
  /** Aborting it ends the evaluation at once: unfinished metrics come back `interrupted`. */
  signal?: AbortSignal;
  /** Called before every judge call; if it throws, the metric comes back `interrupted` (cancel, fault injection). */
  beforeJudgeCall?: () => void;
  /** The run's budget: every HTTP call reserves its place first; a refused one leaves the metric `interrupted`. */
  budget?: CallBudget;
  /** The organization's daily judge quota: a call is reserved before it starts (a refusal fails the metric), its tokens added after. */
  judgeQuota?: JudgeQuota;
  /** Metrics from outside the registry (a run's pinned custom metric versions), by name. */
  definitions?: ReadonlyMap<string, MetricDefinition>;
  /** The earlier traces of the trace's session, oldest first (session runs: loop_detection compares with them). */
  sessionTraces?: readonly TraceView[];
  /** The session's earlier turns, oldest first, for templates that show `{{session_history}}` (trace runs). */
  sessionHistory?: readonly SessionTurn[];
}
