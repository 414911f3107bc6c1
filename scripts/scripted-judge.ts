import { startJudgeServer } from '../test/support/judge-server';

/**
 * `npm run judge:scripted`: the project's scripted OpenAI-compatible judge as a standalone server,
 * for trying the service without an LLM key. Its answers are canned, not an LLM's opinion.
 * The `.env` written by `npm run setup` points SCRIPTED_JUDGE_URL at it (port 4010) and names the
 * models scripted/..., so runs and scores say what answered them.
 */
async function main(): Promise<void> {
  const port = Number(process.env.SCRIPTED_JUDGE_PORT ?? 4010);
  const host = process.env.SCRIPTED_JUDGE_HOST ?? '127.0.0.1';
  const judge = await startJudgeServer({ port, host, latencyMs: Number(process.env.SCRIPTED_JUDGE_LATENCY_MS ?? 100) });
  console.log(`scripted judge listening on ${judge.baseUrl} (canned answers, not an LLM). Ctrl-C to stop.`);
  // The server logs every request for tests; a long-lived one forgets them every minute.
  const forget = setInterval(() => judge.reset(), 60_000);
  const stop = async () => {
    clearInterval(forget);
    await judge.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
