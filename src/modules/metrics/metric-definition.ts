import { z } from 'zod';
import type { StageRef } from '../judge/judge.types';
import type { SessionTurn, TraceView } from './types/trace-view';

export const DEFAULT_THRESHOLD = 0.5;

export interface MetricResult {
  score: number;
  reason: string | null;
  metadata: Record<string, unknown>;
  /** The value as stored, when it is not the score itself (a custom BOOLEAN or CATEGORICAL answer). */
  value?: string;
}

/** What a metric may use while it evaluates one trace. */
export interface MetricContext {
  readonly trace: TraceView;
  readonly threshold: number;
  /** Outputs of the earlier traces of the session (session runs only; null otherwise). */
  readonly sessionOutputs: readonly unknown[] | null;
  /** The session's earlier turns, oldest first (loaded for runs whose metrics show them; else empty). */
  readonly sessionHistory: readonly SessionTurn[];
  /** The trace rendered for the judge (computed once per trace evaluation). */
  rendered(): string;
  /** Just the user's request (trace input and root input), for task extraction. */
  taskContext(): string;
  /** One judge call with structured output; usage is booked to this metric. `model` overrides the run's. */
  ask<T>(stage: StageRef, schema: z.ZodType<T>, prompt: string, model?: string): Promise<T>;
  /** Embeddings with EVAL_EMBEDDING_MODEL; usage is booked to this metric. */
  embed(texts: string[]): Promise<number[][]>;
  /**
   * Work shared by the metrics of one trace evaluation (e.g. the task extraction): the first
   * caller runs `compute` (and pays for it), the others await the same promise.
   */
  shared<T>(key: string, compute: () => Promise<T>): Promise<T>;
}

/** One stage's prompt as the run template shows it. */
export interface PromptPreview {
  stage: string;
  prompt: string;
}

/** What prompt previews are built from: a rendered sample trace, placeholders for earlier answers. */
export interface PreviewInput {
  rendered: string;
  taskContext: string;
}

export interface MetricDefinition {
  name: string;
  /** Our own one-line description, shown by GET /evaluations/trace-metrics. */
  description: string;
  category: 'trace';
  /** false: a session signal only, not offered as a trace metric (loop_detection). Default true. */
  listed?: boolean;
  defaultThreshold: number;
  /** True when the metric calls EVAL_EMBEDDING_MODEL (checked when a run is created). */
  usesEmbeddings?: boolean;
  /** How many earlier turns of the trace's session it shows (a custom `{{session_history}}`); 0 when absent. */
  sessionTurns?: number;
  /** Set by definitions from outside the registry (a custom metric's version number); built-ins hash their prompts. */
  version?: string;
  /** The data type of its scores (NUMERIC when absent). */
  dataType?: 'NUMERIC' | 'BOOLEAN' | 'CATEGORICAL';
  /** Each stage's prompt, in stage order, as the template endpoint shows it. */
  previewPrompts(input: PreviewInput): PromptPreview[];
  evaluate(ctx: MetricContext): Promise<MetricResult>;
}

/** A 0–1 score with a reason: the answer of the `score` stages. */
const ScoreVerdictSchema = z.strictObject({ score: z.number().min(0).max(1), reason: z.string() });

/** A part of a prompt; false, null and undefined parts are left out. */
export type PromptPart = string | false | null | undefined;

/** A stage prompt: a machine-readable stage line first, then the parts separated by blank lines. */
export function stagePrompt(stage: StageRef, ...parts: PromptPart[]): string {
  return [`[stage: ${stage.metric}.${stage.stage}]`, ...parts.filter((p): p is string => Boolean(p))].join('\n\n');
}

/**
 * A built-in metric: the trace category and the default threshold filled in. Its file states the
 * metric first and its judge stages (the prompt texts) below, reached lazily from `evaluate` and
 * `previewPrompts`.
 */
export function builtInMetric(
  name: string,
  def: Omit<MetricDefinition, 'name' | 'category' | 'defaultThreshold'>,
): MetricDefinition {
  return { name, category: 'trace', defaultThreshold: DEFAULT_THRESHOLD, ...def };
}

/**
 * One judge stage of a built-in metric. The same prompt builder serves the run template's preview
 * (placeholders as arguments) and the real call, so the two cannot drift apart.
 */
export interface JudgeStage<A extends unknown[], T> {
  preview(...args: A): PromptPreview;
  /** Asks the judge this stage's prompt; the answer follows the stage's schema. */
  ask(ctx: MetricContext, ...args: A): Promise<T>;
}

/**
 * The stage maker of one metric: `stage(name, schema, parts)`, `parts` giving the prompt after its
 * stage line; `stage.score(parts)` for the usual `score` stage (a 0–1 score with a reason).
 */
export function judgeStages(metric: string) {
  const stage = <A extends unknown[], T>(
    name: string,
    schema: z.ZodType<T>,
    parts: (...args: A) => PromptPart[],
  ): JudgeStage<A, T> => {
    const ref = { metric, stage: name };
    const prompt = (...args: A) => stagePrompt(ref, ...parts(...args));
    return {
      preview: (...args) => ({ stage: name, prompt: prompt(...args) }),
      ask: (ctx, ...args) => ctx.ask(ref, schema, prompt(...args)),
    };
  };
  const score = <A extends unknown[]>(parts: (...args: A) => PromptPart[]) => stage('score', ScoreVerdictSchema, parts);
  return Object.assign(stage, { score });
}

/** Opens every prompt that carries the rendered trace. */
export const TRACE_INTRO =
  'Below is the trace of an AI agent run: a tree of spans (AGENT, LLM, TOOL, RETRIEVER, CHAIN, ...).';

/** A labelled block of the prompt. */
export const block = (label: string, body: string) => `${label}:\n${body}`;

/** The last line of every prompt: which fields to return. */
export const replyWith = (...fields: string[]) =>
  `Reply with a JSON object with the field${fields.length > 1 ? 's' : ''} ${fields.map((f) => `"${f}"`).join(', ')}.`;

/** The scale shared by the 0–1 judgement stages. */
export const ANCHORS =
  'Use this scale: 1.0 = fully meets the criteria; 0.75 = small shortcomings; 0.5 = clear, notable shortcomings; 0.25 = mostly fails; 0.0 = fails entirely.';

export const clamp01 = (n: number) => (Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0);

export const round4 = (n: number) => Math.round(n * 10_000) / 10_000;

/** Builds a result whose metadata carries `threshold` and `success = score >= threshold`. */
export function scored(
  score: number,
  reason: string | null,
  threshold: number,
  extra: Record<string, unknown> = {},
): MetricResult {
  const s = clamp01(score);
  return { score: s, reason, metadata: { ...extra, threshold, success: s >= threshold } };
}

/** Full marks when there is nothing to judge (no tool calls, no plan): a pass whatever the threshold. */
export function nothingToJudge(reason: string, threshold: number, extra: Record<string, unknown>): MetricResult {
  return { score: 1, reason, metadata: { ...extra, threshold, success: true } };
}

/** `{"a":1}` text to an object when it parses, else the text itself. */
export function parseLooseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Text of a value for embeddings: strings as is, others compact JSON, null/undefined empty. */
export function plainText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? '';
}

export function cosineSimilarity(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  if (na === 0 || nb === 0) return 0;
  return dot / (Math.sqrt(na) * Math.sqrt(nb));
}

/** Cosine distance clamped to [0, 1]; a zero vector gives 1. */
export function cosineGap(a: number[], b: number[]): number {
  return clamp01(1 - cosineSimilarity(a, b));
}
