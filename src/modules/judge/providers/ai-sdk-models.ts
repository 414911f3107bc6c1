import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createVertex } from '@ai-sdk/google-vertex';
import { createOpenAI } from '@ai-sdk/openai';
import type { EmbeddingModel, LanguageModel } from 'ai';
import type { AppConfig } from '../../../config/env';
import { DomainError, ErrorCode } from '../../../common/errors/domain.error';
import type { ResolvedModel } from '../judge.types';

/**
 * Maps a resolved `provider/model` to an AI SDK model. The only place that knows the SDK's
 * provider packages; no hand-written HTTP clients.
 *
 * OpenAI goes through `openai.chat()` (the chat-completions API) by default, so the same code
 * serves api.openai.com and any OpenAI-compatible server (vLLM, Ollama, LiteLLM) that only offers
 * /v1/chat/completions and /v1/embeddings; `OPENAI_API_MODE=responses` selects OpenAI's Responses
 * API (`openai.responses()`) instead. Embeddings always use `openai.embedding()`.
 */
export class AiSdkModels {
  private readonly openai;
  private readonly anthropic;
  private readonly google;
  private readonly vertex;
  private readonly scripted;

  constructor(private readonly config: AppConfig) {
    // The SDK prints every call's warnings to the console; the judge reports each (model, setting)
    // once through the app's logger and GET /evaluations/providers instead (ProviderHealthBook).
    (globalThis as { AI_SDK_LOG_WARNINGS?: unknown }).AI_SDK_LOG_WARNINGS = false;
    const p = config.judge.providers;
    // Keys are always passed explicitly so the SDK never reads process.env itself; a keyless
    // local server gets a placeholder bearer token it ignores.
    this.openai = createOpenAI({ apiKey: p.openai.apiKey ?? 'not-needed', baseURL: p.openai.baseUrl });
    this.anthropic = createAnthropic({ apiKey: p.anthropic.apiKey ?? '', baseURL: p.anthropic.baseUrl });
    this.google = createGoogleGenerativeAI({ apiKey: p.gemini.apiKey ?? '', baseURL: p.gemini.baseUrl });
    // Express mode with an API key; otherwise Google Cloud credentials (a key file, or the machine's ADC).
    const v = p.vertex_ai;
    this.vertex = createVertex({
      apiKey: v.apiKey ?? '',
      project: v.project,
      location: v.location,
      baseURL: v.baseUrl,
      googleAuthOptions: v.credentialsFile ? { keyFilename: v.credentialsFile } : undefined,
    });
    // The scripted judge speaks the OpenAI protocol; only its name (scripted/<model>) differs.
    this.scripted = createOpenAI({ apiKey: 'not-needed', baseURL: p.scripted.baseUrl, name: 'scripted' });
  }

  language(model: ResolvedModel): LanguageModel {
    switch (model.provider) {
      case 'openai':
        return this.config.judge.openaiApi === 'responses'
          ? this.openai.responses(model.modelId)
          : this.openai.chat(model.modelId);
      case 'anthropic':
        return this.anthropic(model.modelId);
      case 'gemini':
        return this.google(model.modelId);
      case 'vertex_ai':
        return this.vertex(model.modelId);
      case 'scripted':
        return this.scripted.chat(model.modelId);
    }
  }

  embedding(model: ResolvedModel): EmbeddingModel {
    switch (model.provider) {
      case 'openai':
        return this.openai.embedding(model.modelId);
      case 'gemini':
        return this.google.embedding(model.modelId);
      case 'vertex_ai':
        return this.vertex.textEmbeddingModel(model.modelId);
      case 'scripted':
        return this.scripted.embedding(model.modelId);
      case 'anthropic':
        throw new DomainError(
          ErrorCode.JUDGE_PROVIDER_UNAVAILABLE,
          `Provider 'anthropic' offers no embedding models; set EVAL_EMBEDDING_MODEL to an openai/ or gemini/ model.`,
        );
    }
  }
}
