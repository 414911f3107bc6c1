import type { MetricDefinition } from '../metric-definition';
import { argumentCorrectnessMetric } from './argument-correctness.metric';
import { coherenceMetric } from './coherence.metric';
import { confidenceMetric } from './confidence.metric';
import { loopDetectionMetric } from './loop-detection.metric';
import { planAdherenceMetric } from './plan-adherence.metric';
import { planQualityMetric } from './plan-quality.metric';
import { stepEfficiencyMetric } from './step-efficiency.metric';
import { taskCompletionMetric } from './task-completion.metric';
import { toolCorrectnessMetric } from './tool-correctness.metric';

/** The single registration point of every metric. */
export const ALL_METRICS: readonly MetricDefinition[] = [
  taskCompletionMetric,
  toolCorrectnessMetric,
  argumentCorrectnessMetric,
  stepEfficiencyMetric,
  planAdherenceMetric,
  planQualityMetric,
  confidenceMetric,
  coherenceMetric,
  loopDetectionMetric,
];
