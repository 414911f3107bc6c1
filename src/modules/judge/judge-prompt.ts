import type { StageRef } from './judge.types';

/** The system message of every judge call. */
export const JUDGE_SYSTEM_PROMPT =
  'You grade AI agent runs from their traces: strictly, factually, consistently. Reply with one JSON object only.';

/** Schema name sent as response_format name: `pp-<metric>-<stage>`; also a routing key for test servers. */
export function stageSchemaName(stage: StageRef): string {
  return `pp-${stage.metric}-${stage.stage}`;
}
