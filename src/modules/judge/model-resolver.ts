import type { AppConfig, JudgeProviderKey } from '../../config/env';
import { DomainError, ErrorCode } from '../../common/errors/domain.error';
import type { ResolvedModel } from './judge.types';
import type { DroppedSetting, ProviderHealth } from './provider-health';

export interface ProviderInfo {
  key: JudgeProviderKey;
  /** The key GET /evaluations/providers reports: the one PandaProbe's dashboard lists models under. */
  listedAs: string;
  name: string;
  description: string;
  /** What must be set for the provider to be available. */
  requires: string;
}

/** The providers the judge can call, in display order. */
export const JUDGE_PROVIDERS: readonly ProviderInfo[] = [
  {
    key: 'openai',
    listedAs: 'openai',
    name: 'OpenAI',
    description:
      'OpenAI chat-completions and embeddings models (openai/<model>); with OPENAI_BASE_URL, any OpenAI-compatible server such as vLLM, Ollama or a LiteLLM proxy.',
    requires: 'OPENAI_API_KEY (or OPENAI_BASE_URL for a keyless compatible server)',
  },
  {
    key: 'anthropic',
    listedAs: 'anthropic',
    name: 'Anthropic',
    description: 'Anthropic Claude models (anthropic/<model>).',
    requires: 'ANTHROPIC_API_KEY',
  },
  {
    key: 'gemini',
    listedAs: 'google_genai',
    name: 'Google Gemini',
    description: 'Google Gemini models through the Generative Language API (gemini/<model>).',
    requires: 'GEMINI_API_KEY',
  },
  {
    key: 'vertex_ai',
    listedAs: 'vertex_ai',
    name: 'Google Vertex AI',
    description: 'Gemini models on Google Cloud Vertex AI (vertex_ai/<model>), through the AI SDK Vertex provider.',
    requires:
      'GOOGLE_VERTEX_PROJECT (with GOOGLE_VERTEX_LOCATION and Google Cloud credentials, e.g. GOOGLE_APPLICATION_CREDENTIALS), or GOOGLE_VERTEX_API_KEY',
  },
  {
    key: 'scripted',
    listedAs: 'scripted',
    name: 'Scripted judge',
    description:
      "The project's scripted OpenAI-compatible judge (npm run judge:scripted, or the one npm run demo starts): canned answers for trying the service without an LLM key, not an LLM's opinion. Runs and scores name it scripted/<model>.",
    requires: 'SCRIPTED_JUDGE_URL',
  },
];

/** Prefix aliases accepted in `provider/model` strings. */
const PREFIXES: Record<string, JudgeProviderKey> = {
  openai: 'openai',
  anthropic: 'anthropic',
  gemini: 'gemini',
  google: 'gemini',
  google_genai: 'gemini',
  vertex_ai: 'vertex_ai',
  vertex: 'vertex_ai',
  scripted: 'scripted',
};

/** Bare model names are inferred from their family, as the original does. */
const BARE_PATTERNS: [RegExp, JudgeProviderKey][] = [
  [/^(gpt-|o1-|o3-|o1$|o3$)/i, 'openai'],
  [/^claude-/i, 'anthropic'],
  [/^gemini-/i, 'gemini'],
];

/** Turns `provider/model` or a bare model name into a provider and model id; throws 422-mapped errors. */
export function resolveModel(model: string | undefined, fallback: string): ResolvedModel {
  const raw = (model ?? '').trim() || fallback.trim();
  const slash = raw.indexOf('/');
  if (slash >= 0) {
    const prefix = raw.slice(0, slash).toLowerCase();
    const modelId = raw.slice(slash + 1).trim();
    const provider = PREFIXES[prefix];
    if (!provider) {
      throw new DomainError(
        ErrorCode.JUDGE_PROVIDER_UNAVAILABLE,
        `Unknown judge provider '${prefix}' in model '${raw}'. Supported providers: openai, anthropic, gemini, vertex_ai, scripted.`,
      );
    }
    if (!modelId) {
      throw new DomainError(ErrorCode.JUDGE_PROVIDER_UNAVAILABLE, `Model '${raw}' names no model after the provider.`);
    }
    return { provider, modelId, id: `${provider}/${modelId}` };
  }
  const match = BARE_PATTERNS.find(([re]) => re.test(raw));
  if (!match) {
    throw new DomainError(
      ErrorCode.JUDGE_PROVIDER_UNAVAILABLE,
      `Cannot tell which judge provider serves model '${raw}'. Write it as provider/model (openai/, anthropic/ or gemini/).`,
    );
  }
  return { provider: match[1], modelId: raw, id: `${match[1]}/${raw}` };
}

export type ProviderState = 'configured' | 'not_configured' | 'unreachable';

export interface ProviderStatus {
  /** The dashboard's key (ProviderInfo.listedAs). */
  key: string;
  name: string;
  description: string;
  /** Credentials (or, for openai, a base URL) are configured. */
  available: boolean;
  message: string;
  /** not_configured; configured; or unreachable: configured, but the last call got no HTTP answer. */
  state: ProviderState;
  /** The configured base URL, or null for the provider's public endpoint. */
  base_url: string | null;
  /** The last call's network failure while the provider is unreachable, else null. */
  last_error: { message: string; at: string } | null;
  /** Settings the AI SDK did not apply as configured for a model used so far (e.g. temperature). */
  dropped_settings: DroppedSetting[];
}

/**
 * A provider is available when its API key is set; the openai provider is also available when
 * OPENAI_BASE_URL is set, since local OpenAI-compatible servers often need no key; the scripted
 * judge when SCRIPTED_JUDGE_URL is set. `health` is what real calls showed (unreachable base URL,
 * dropped settings).
 */
export function providerStatus(
  config: AppConfig,
  info: ProviderInfo,
  health: ProviderHealth = { unreachable: null, dropped: [] },
  view: 'operator' | 'tenant' = 'operator',
): ProviderStatus {
  const settings = config.judge.providers[info.key];
  // A tenant sees whether a provider works, never the deployment's addresses or another call's error text.
  if (view === 'tenant') {
    const status = providerStatus(config, info, {
      ...health,
      unreachable: health.unreachable && { message: 'no HTTP answer from the provider', at: health.unreachable.at },
    });
    const address = settings.baseUrl;
    return {
      ...status,
      base_url: null,
      message: address ? status.message.split(address).join('its endpoint') : status.message,
    };
  }
  const available =
    Boolean(settings.apiKey) ||
    (['openai', 'scripted'].includes(info.key) && Boolean(settings.baseUrl)) ||
    (info.key === 'vertex_ai' && Boolean(config.judge.providers.vertex_ai.project));
  const unreachable = available ? health.unreachable : null;
  const where = settings.baseUrl ?? 'its public endpoint';
  let message = `Provider '${info.name}' is available.`;
  if (!available)
    message = `Provider '${info.name}' is not configured. Missing environment variable(s): ${info.requires}`;
  else if (unreachable)
    message = `Provider '${info.name}' is configured, but ${where} could not be reached on the last call (${unreachable.at}): ${unreachable.message}`;
  if (available && health.dropped.length > 0) {
    message += ` Settings not applied as configured: ${health.dropped.map((d) => `${d.setting} for ${d.model}`).join(', ')}.`;
  }
  return {
    key: info.listedAs,
    name: info.name,
    description: info.description,
    available,
    message,
    state: !available ? 'not_configured' : unreachable ? 'unreachable' : 'configured',
    base_url: settings.baseUrl ?? null,
    last_error: unreachable,
    dropped_settings: health.dropped,
  };
}
