import type { LanguageModelV4 } from '@ai-sdk/provider';
import type { EmbeddingModel } from 'ai';
import type { AppConfig, JudgeProviderKey } from '../../../config/env';
import { DomainError, ErrorCode } from '../../../common/errors/domain.error';
import type { ResolvedModel } from '../judge.types';
import { judgeFetch } from './judge-fetch';

/**
 * Maps a resolved `provider/model` to an AI SDK model. The only place that knows the SDK's
 * provider packages; no hand-written HTTP clients.
 *
 * OpenAI goes through `openai.chat()` (the chat-completions API) by default, so the same code
 * serves api.openai.com and any OpenAI-compatible server (vLLM, Ollama, LiteLLM) that only offers
 * /v1/chat/completions and /v1/embeddings; `OPENAI_API_MODE=responses` selects OpenAI's Responses
 * API (`openai.responses()`) instead. Embeddings always use `openai.embedding()`.
 *
 * A provider's package is loaded and its client made on its first call, so the API process (which
 * never calls a judge) loads none, and a worker only the providers its runs use (docs/performance.md).
 */
/** `make` run once, on the first call; later calls share its promise. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

/**
 * The AI SDK itself (`generateText`, `embedMany`, …), loaded on the first judge call like the
 * providers: the API process, which judges only for custom-metric previews, would otherwise keep
 * its ~8 MB of heap from start (docs/performance.md, "Fifth pass").
 */
export const aiSdk = once(() => import('ai'));

export class AiSdkModels {
  private readonly openaiProvider = once(async () =>
    (await import('@ai-sdk/openai')).createOpenAI(this.settings('openai', 'not-needed')),
  );
  private readonly anthropicProvider = once(async () =>
    (await import('@ai-sdk/anthropic')).createAnthropic(this.settings('anthropic')),
  );
  private readonly googleProvider = once(async () =>
    (await import('@ai-sdk/google')).createGoogleGenerativeAI(this.settings('gemini')),
  );
  /** The scripted judge speaks the OpenAI protocol; only its name (scripted/<model>) differs. */
  private readonly scriptedProvider = once(async () =>
    (await import('@ai-sdk/openai')).createOpenAI({ ...this.settings('scripted', 'not-needed'), name: 'scripted' }),
  );
  // Express mode with an API key; otherwise Google Cloud credentials (a key file, or the machine's ADC).
  private readonly vertexProvider = once(async () => {
    const v = this.config.judge.providers.vertex_ai;
    return (await import('@ai-sdk/google-vertex')).createVertex({
      ...this.settings('vertex_ai'),
      project: v.project,
      location: v.location,
      googleAuthOptions: v.credentialsFile ? { keyFilename: v.credentialsFile } : undefined,
    });
  });

  constructor(private readonly config: AppConfig) {
    // The SDK prints every call's warnings to the console; the judge reports each (model, setting)
    // once through the app's logger and GET /evaluations/providers instead (ProviderHealthBook).
    (globalThis as { AI_SDK_LOG_WARNINGS?: unknown }).AI_SDK_LOG_WARNINGS = false;
  }

  /**
   * A provider's key, base URL and fetch. Keys are always passed explicitly so the SDK never reads
   * process.env itself; a keyless local server gets a placeholder bearer token it ignores.
   */
  private settings(
    provider: JudgeProviderKey,
    keyless = '',
  ): { apiKey: string; baseURL?: string; fetch: typeof fetch } {
    const { apiKey, baseUrl } = this.config.judge.providers[provider];
    return { apiKey: apiKey ?? keyless, baseURL: baseUrl, fetch: judgeFetch };
  }

  /** One SDK model object per model id, made on its first call (a worker asks for it on every judge call). */
  private readonly languageModels = new Map<string, Promise<LanguageModelV4>>();

  /** The provider's model, called through the SDK's specification interface (model-call.ts). */
  language(model: ResolvedModel): Promise<LanguageModelV4> {
    let made = this.languageModels.get(model.id);
    if (!made) this.languageModels.set(model.id, (made = this.makeLanguage(model)));
    return made;
  }

  private async makeLanguage(model: ResolvedModel): Promise<LanguageModelV4> {
    switch (model.provider) {
      case 'openai': {
        const openai = await this.openaiProvider();
        return this.config.judge.openaiApi === 'responses'
          ? openai.responses(model.modelId)
          : openai.chat(model.modelId);
      }
      case 'anthropic':
        return (await this.anthropicProvider())(model.modelId);
      case 'gemini':
        return (await this.googleProvider())(model.modelId);
      case 'vertex_ai':
        return (await this.vertexProvider())(model.modelId);
      case 'scripted':
        return (await this.scriptedProvider()).chat(model.modelId);
    }
  }

  async embedding(model: ResolvedModel): Promise<EmbeddingModel> {
    switch (model.provider) {
      case 'openai':
        return (await this.openaiProvider()).embedding(model.modelId);
      case 'gemini':
        return (await this.googleProvider()).embedding(model.modelId);
      case 'vertex_ai':
        return (await this.vertexProvider()).textEmbeddingModel(model.modelId);
      case 'scripted':
        return (await this.scriptedProvider()).embedding(model.modelId);
      case 'anthropic':
        throw new DomainError(
          ErrorCode.JUDGE_PROVIDER_UNAVAILABLE,
          `Provider 'anthropic' offers no embedding models; set EVAL_EMBEDDING_MODEL to an openai/ or gemini/ model.`,
        );
    }
  }
}
