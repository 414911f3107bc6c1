import { Injectable } from '@nestjs/common';
import type { MonitorRunSpawner, SpawnSkip } from './run-spawner';

export const SESSION_RUNS_UNAVAILABLE =
  'SESSION monitors cannot spawn runs yet: session eval runs are not available in this build. ' +
  'The monitor is kept and validated; its slots are recorded as skipped until session runs land.';

/**
 * Placeholder until session runs exist: every fire is a recorded skip, never a silent no-op.
 * Replace `spawn` with the session-run creation (targets: sessions with traces ingested after the
 * watermark) when the session-runs module lands.
 */
@Injectable()
export class SessionRunSpawner implements MonitorRunSpawner {
  readonly targetType = 'SESSION' as const;

  spawn(): Promise<SpawnSkip> {
    return Promise.resolve({ skipped: { kind: 'unsupported', reason: SESSION_RUNS_UNAVAILABLE } });
  }
}
