import { z } from 'zod';
import { int, optionalInt, text, url } from './env-fields';

/**
 * The LLM judge's variables (providers, models, retries, per-provider limits, rendering bounds): a
 * part of the one schema in env.ts, with the typed group it becomes.
 */
export const judgeShape = {
  OPENAI_API_KEY: text(),
  OPENAI_BASE_URL: url(['http:', 'https:']),
  OPENAI_API_MODE: z.enum(['chat', 'responses']).default('chat'),
  ANTHROPIC_API_KEY: text(),
  ANTHROPIC_BASE_URL: url(['http:', 'https:']),
  GEMINI_API_KEY: text(),
  GEMINI_BASE_URL: url(['http:', 'https:']),
  SCRIPTED_JUDGE_URL: url(['http:', 'https:']),
  // Vertex AI through @ai-sdk/google-vertex, with that provider's documented variables.
  GOOGLE_VERTEX_PROJECT: text(),
  GOOGLE_VERTEX_LOCATION: text(),
  GOOGLE_VERTEX_API_KEY: text(),
  GOOGLE_VERTEX_BASE_URL: url(['http:', 'https:']),
  GOOGLE_APPLICATION_CREDENTIALS: text(),
  EVAL_LLM_MODEL: z.string().min(1).default('openai/gpt-4o-mini'),
  EVAL_EMBEDDING_MODEL: z.string().min(1).default('openai/text-embedding-3-small'),
  EVAL_LLM_TEMPERATURE: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return 0;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0 || n > 2) {
        ctx.addIssue({ code: 'custom', message: 'must be a number between 0 and 2' });
        return z.NEVER;
      }
      return n;
    }),
  JUDGE_TIMEOUT_MS: int(60_000, 100),
  JUDGE_MAX_RETRIES: int(4, 0, 20),
  JUDGE_RETRY_BASE_MS: int(500, 1),
  JUDGE_RETRY_MAX_MS: int(30_000, 1),
  JUDGE_RPM: int(0),
  JUDGE_TPM: int(0),
  JUDGE_MAX_IN_FLIGHT: int(0),
  JUDGE_OPENAI_RPM: optionalInt(),
  JUDGE_OPENAI_TPM: optionalInt(),
  JUDGE_OPENAI_MAX_IN_FLIGHT: optionalInt(),
  JUDGE_ANTHROPIC_RPM: optionalInt(),
  JUDGE_ANTHROPIC_TPM: optionalInt(),
  JUDGE_ANTHROPIC_MAX_IN_FLIGHT: optionalInt(),
  JUDGE_GEMINI_RPM: optionalInt(),
  JUDGE_GEMINI_TPM: optionalInt(),
  JUDGE_GEMINI_MAX_IN_FLIGHT: optionalInt(),
  JUDGE_VERTEX_RPM: optionalInt(),
  JUDGE_VERTEX_TPM: optionalInt(),
  JUDGE_VERTEX_MAX_IN_FLIGHT: optionalInt(),
  JUDGE_RENDER_FIELD_CHARS: int(2_000, 50),
  JUDGE_RENDER_TOTAL_CHARS: int(40_000, 500),
};

type Raw = { [K in keyof typeof judgeShape]: z.infer<(typeof judgeShape)[K]> };

export interface ProviderLimits {
  rpm: number;
  tpm: number;
  maxInFlight: number;
}

export type JudgeProviderKey = 'openai' | 'anthropic' | 'gemini' | 'vertex_ai' | 'scripted';

/** Vertex AI's own settings (project, region, a service-account key file), beside its API key and base URL. */
export interface VertexSettings {
  project?: string;
  location?: string;
  credentialsFile?: string;
}

export interface JudgeConfig {
  defaultModel: string;
  embeddingModel: string;
  temperature: number;
  timeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  providers: Record<JudgeProviderKey, { apiKey?: string; baseUrl?: string; limits: ProviderLimits }> & {
    vertex_ai: VertexSettings;
  };
  /** Which OpenAI API the openai provider's chat calls use: chat completions (default) or Responses. */
  openaiApi: 'chat' | 'responses';
  render: { fieldChars: number; totalChars: number };
}

export function buildJudgeConfig(e: Raw): JudgeConfig {
  const limits = (rpm?: number, tpm?: number, inFlight?: number): ProviderLimits => ({
    rpm: rpm ?? e.JUDGE_RPM,
    tpm: tpm ?? e.JUDGE_TPM,
    maxInFlight: inFlight ?? e.JUDGE_MAX_IN_FLIGHT,
  });
  return {
    defaultModel: e.EVAL_LLM_MODEL,
    embeddingModel: e.EVAL_EMBEDDING_MODEL,
    temperature: e.EVAL_LLM_TEMPERATURE,
    timeoutMs: e.JUDGE_TIMEOUT_MS,
    maxRetries: e.JUDGE_MAX_RETRIES,
    retryBaseMs: e.JUDGE_RETRY_BASE_MS,
    retryMaxMs: e.JUDGE_RETRY_MAX_MS,
    providers: {
      openai: {
        apiKey: e.OPENAI_API_KEY,
        baseUrl: e.OPENAI_BASE_URL,
        limits: limits(e.JUDGE_OPENAI_RPM, e.JUDGE_OPENAI_TPM, e.JUDGE_OPENAI_MAX_IN_FLIGHT),
      },
      anthropic: {
        apiKey: e.ANTHROPIC_API_KEY,
        baseUrl: e.ANTHROPIC_BASE_URL,
        limits: limits(e.JUDGE_ANTHROPIC_RPM, e.JUDGE_ANTHROPIC_TPM, e.JUDGE_ANTHROPIC_MAX_IN_FLIGHT),
      },
      gemini: {
        apiKey: e.GEMINI_API_KEY,
        baseUrl: e.GEMINI_BASE_URL,
        limits: limits(e.JUDGE_GEMINI_RPM, e.JUDGE_GEMINI_TPM, e.JUDGE_GEMINI_MAX_IN_FLIGHT),
      },
      vertex_ai: {
        apiKey: e.GOOGLE_VERTEX_API_KEY,
        baseUrl: e.GOOGLE_VERTEX_BASE_URL,
        project: e.GOOGLE_VERTEX_PROJECT,
        location: e.GOOGLE_VERTEX_LOCATION,
        credentialsFile: e.GOOGLE_APPLICATION_CREDENTIALS,
        limits: limits(e.JUDGE_VERTEX_RPM, e.JUDGE_VERTEX_TPM, e.JUDGE_VERTEX_MAX_IN_FLIGHT),
      },
      // The project's scripted judge (canned answers): never a real model, so never a real name.
      scripted: { baseUrl: e.SCRIPTED_JUDGE_URL, limits: limits() },
    },
    render: { fieldChars: e.JUDGE_RENDER_FIELD_CHARS, totalChars: e.JUDGE_RENDER_TOTAL_CHARS },
    openaiApi: e.OPENAI_API_MODE,
  };
}
