import { connect } from 'node:net';
import type { AppConfig, JudgeProviderKey } from '../../config/env';
import { DomainError, ErrorCode } from '../../common/errors/domain.error';
import type { ProviderHealthBook } from './provider-health';

/** Where each provider answers when no base URL is configured. */
const PUBLIC_ENDPOINTS: Record<JudgeProviderKey, string | null> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com/v1',
  gemini: 'https://generativelanguage.googleapis.com',
  vertex_ai: null, // regional: its base URL depends on the project's location
  scripted: null,
};
const PROBE_TIMEOUT_MS = 2_000;

/** How to bring each provider back, for the 422. */
const FIX: Record<JudgeProviderKey, string> = {
  scripted:
    'start it with `npm run judge:scripted` (`npm run setup` starts it when SCRIPTED_JUDGE_URL names this machine), or point SCRIPTED_JUDGE_URL / EVAL_LLM_MODEL elsewhere',
  openai: 'start the server at OPENAI_BASE_URL or fix that variable (or unset it to use api.openai.com)',
  anthropic: 'check the network to the provider, or ANTHROPIC_BASE_URL',
  gemini: 'check the network to the provider, or GEMINI_BASE_URL',
  vertex_ai: 'check the network to Vertex AI, or its location and credentials',
};

/**
 * Refuses (422) a run whose judge provider is known to be unreachable: its last call got no HTTP
 * answer and none succeeded since (ProviderHealthBook). Such a run would complete with every score
 * FAILED. The address is tried once first (a TCP connect: the provider may be back), so a provider
 * that returned is not refused until a run succeeds; it is then marked reachable again.
 */
export async function assertReachable(
  config: AppConfig,
  health: ProviderHealthBook,
  provider: JudgeProviderKey,
): Promise<void> {
  const { unreachable } = await health.read(provider);
  if (!unreachable) return;
  const url = config.judge.providers[provider].baseUrl ?? PUBLIC_ENDPOINTS[provider];
  if (!url || (await answers(url))) {
    health.noteSuccess(provider);
    return;
  }
  throw new DomainError(
    ErrorCode.JUDGE_PROVIDER_UNAVAILABLE,
    `Judge provider '${provider}' is unreachable at ${url} (last call ${unreachable.at}: ${unreachable.message}); ` +
      `a run now would fail every score. ${FIX[provider][0].toUpperCase()}${FIX[provider].slice(1)}, then create the run again (GET /evaluations/providers shows its state).`,
  );
}

/** Whether something accepts a TCP connection at the URL's host and port (no HTTP request is made). */
function answers(raw: string): Promise<boolean> {
  const url = new URL(raw);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port, timeout: PROBE_TIMEOUT_MS });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}
