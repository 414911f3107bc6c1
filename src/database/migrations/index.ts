import { Foundation1764000000000 } from './1764000000000-Foundation';
import { Traces1764000001000 } from './1764000001000-Traces';
import { EvalRuns1764000002000 } from './1764000002000-EvalRuns';
import { EvalPipeline1764000003000 } from './1764000003000-EvalPipeline';
import { JudgeUnknownUsage1764000004000 } from './1764000004000-JudgeUnknownUsage';
import { Analytics1764000005000 } from './1764000005000-Analytics';
import { SessionScores1764000006000 } from './1764000006000-SessionScores';
import { SessionIndexes1764000007000 } from './1764000007000-SessionIndexes';
import { SessionRuns1764000008000 } from './1764000008000-SessionRuns';
import { Monitors1764000009000 } from './1764000009000-Monitors';
import { Retention1764000011000 } from './1764000011000-Retention';
import { AnalyticsRollups1764000012000 } from './1764000012000-AnalyticsRollups';
import { SessionScoreLatest1764000013000 } from './1764000013000-SessionScoreLatest';
import { SessionItemVersion1764000014000 } from './1764000014000-SessionItemVersion';
import { ApiKeyRotation1764000016000 } from './1764000016000-ApiKeyRotation';
import { Invitations1764000021000 } from './1764000021000-Invitations';
import { CustomMetrics1764000030000 } from './1764000030000-CustomMetrics';
import { RunStopReason1764000032600 } from './1764000032600-RunStopReason';
import { JudgeReservations1764000034000 } from './1764000034000-JudgeReservations';
import { JudgeTranscripts1764000042000 } from './1764000042000-JudgeTranscripts';
import { ScoreSummaryAllTypes1764000035000 } from './1764000035000-ScoreSummaryAllTypes';
import { TraceVersionAndSize1764000040000 } from './1764000040000-TraceVersionAndSize';
import { ItemTraceVersion1764000040100 } from './1764000040100-ItemTraceVersion';
import { SpanSizeWritten1764000040200 } from './1764000040200-SpanSizeWritten';
import { ExactLatencyPercentiles1764000041000 } from './1764000041000-ExactLatencyPercentiles';
import { LatencyDayRollups1764000041100 } from './1764000041100-LatencyDayRollups';
import { PendingRunItems1764000044000 } from './1764000044000-PendingRunItems';
import { JudgeCutFunctions1764000046000 } from './1764000046000-JudgeCutFunctions';
import { LeanScoreWrites1764000047000 } from './1764000047000-LeanScoreWrites';

/** Every migration, in order. Hand-written, reviewed, never edited after it lands. */
export const MIGRATIONS = [
  Foundation1764000000000,
  Traces1764000001000,
  EvalRuns1764000002000,
  EvalPipeline1764000003000,
  JudgeUnknownUsage1764000004000,
  Analytics1764000005000,
  SessionScores1764000006000,
  SessionIndexes1764000007000,
  SessionRuns1764000008000,
  Monitors1764000009000,
  Retention1764000011000,
  AnalyticsRollups1764000012000,
  SessionScoreLatest1764000013000,
  SessionItemVersion1764000014000,
  ApiKeyRotation1764000016000,
  Invitations1764000021000,
  CustomMetrics1764000030000,
  RunStopReason1764000032600,
  JudgeReservations1764000034000,
  ScoreSummaryAllTypes1764000035000,
  TraceVersionAndSize1764000040000,
  ItemTraceVersion1764000040100,
  SpanSizeWritten1764000040200,
  ExactLatencyPercentiles1764000041000,
  LatencyDayRollups1764000041100,
  JudgeTranscripts1764000042000,
  PendingRunItems1764000044000,
  JudgeCutFunctions1764000046000,
  LeanScoreWrites1764000047000,
];
