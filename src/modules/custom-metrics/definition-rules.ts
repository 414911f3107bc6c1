import type { FieldError } from '../../common/validation/validation';
import {
  CustomOutputType,
  type CustomMetricExample,
  type CustomMetricVersionEntity,
} from './entities/custom-metric.entity';
import { parseTemplate, TemplateError, type TemplatePart } from './template/template';

export const DEFAULT_CUSTOM_THRESHOLD = 0.5;

/** A definition as the judge uses it: checked, with its template parsed. */
export interface CheckedDefinition {
  promptTemplate: string;
  parts: TemplatePart[];
  outputType: CustomOutputType;
  labels: string[] | null;
  successLabels: string[] | null;
  threshold: number | null;
  model: string | null;
  examples: CustomMetricExample[];
}

export interface DefinitionInput {
  prompt_template: string;
  output_type: CustomOutputType;
  labels?: string[] | null;
  success_labels?: string[] | null;
  threshold?: number | null;
  model?: string | null;
  examples?: CustomMetricExample[] | null;
}

/**
 * The rules that span fields (the shapes are the DTO's): a template that parses, labels and
 * success labels for CATEGORICAL only, a threshold for NUMERIC only, examples whose answers fit
 * the output type. Returns every problem found, or the checked definition.
 */
export function checkDefinition(d: DefinitionInput): { errors: FieldError[]; value?: CheckedDefinition } {
  const errors: FieldError[] = [];
  const fail = (field: string, message: string) => errors.push({ field, message });
  let parts: TemplatePart[] = [];
  try {
    parts = parseTemplate(d.prompt_template);
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    fail('prompt_template', e.message);
  }
  const categorical = d.output_type === CustomOutputType.CATEGORICAL;
  const labels = d.labels ?? null;
  const successLabels = d.success_labels ?? null;
  if (categorical) {
    if (!labels || labels.length < 2) fail('labels', 'a CATEGORICAL metric needs at least 2 labels');
    else if (new Set(labels).size !== labels.length) fail('labels', 'labels must be unique');
    if (!successLabels || successLabels.length === 0) {
      fail('success_labels', 'a CATEGORICAL metric needs the labels that count as success');
    } else if (labels && successLabels.some((l) => !labels.includes(l))) {
      fail('success_labels', `success_labels must be among labels (${labels.join(', ')})`);
    }
  } else {
    if (labels) fail('labels', `labels are for CATEGORICAL metrics, not ${d.output_type}`);
    if (successLabels) fail('success_labels', `success_labels are for CATEGORICAL metrics, not ${d.output_type}`);
  }
  const numeric = d.output_type === CustomOutputType.NUMERIC;
  if (!numeric && d.threshold != null) fail('threshold', `threshold is for NUMERIC metrics, not ${d.output_type}`);
  const examples = d.examples ?? [];
  examples.forEach((ex, i) => {
    const problem = exampleProblem(d.output_type, ex.value, labels);
    if (problem) fail(`examples -> ${i} -> value`, problem);
  });
  if (errors.length) return { errors };
  return {
    errors,
    value: {
      promptTemplate: d.prompt_template,
      parts,
      outputType: d.output_type,
      labels: categorical ? labels : null,
      successLabels: categorical ? successLabels : null,
      threshold: numeric ? (d.threshold ?? DEFAULT_CUSTOM_THRESHOLD) : null,
      model: d.model ?? null,
      examples: examples.map((e) => ({ input: e.input, value: e.value, reason: e.reason ?? null })),
    },
  };
}

function exampleProblem(type: CustomOutputType, value: unknown, labels: string[] | null): string | null {
  switch (type) {
    case CustomOutputType.NUMERIC:
      return typeof value === 'number' && value >= 0 && value <= 1
        ? null
        : 'a NUMERIC example answers a number in [0, 1]';
    case CustomOutputType.BOOLEAN:
      return typeof value === 'boolean' ? null : 'a BOOLEAN example answers true or false';
    case CustomOutputType.CATEGORICAL:
      return typeof value === 'string' && (labels ?? []).includes(value)
        ? null
        : `a CATEGORICAL example answers one of the labels${labels ? ` (${labels.join(', ')})` : ''}`;
  }
}

/** What decides the judge's prompt and answer: two definitions with equal keys judge alike. */
export type JudgingKey = Omit<CheckedDefinition, 'parts'>;

/** The judging key of a stored version. */
export function storedDefinition(
  v: Pick<
    CustomMetricVersionEntity,
    'promptTemplate' | 'outputType' | 'labels' | 'successLabels' | 'threshold' | 'model' | 'examples'
  >,
): JudgingKey {
  const { promptTemplate, outputType, labels, successLabels, threshold, model, examples } = v;
  return { promptTemplate, outputType, labels, successLabels, threshold, model, examples };
}

/** Whether two definitions would make the judge see or answer anything differently. */
export function sameJudging(a: JudgingKey, b: JudgingKey): boolean {
  const key = (d: JudgingKey) =>
    JSON.stringify([
      d.promptTemplate,
      d.outputType,
      d.labels,
      d.successLabels,
      d.threshold,
      d.model,
      d.examples.map((e) => [e.input, e.value, e.reason ?? null]),
    ]);
  return key(a) === key(b);
}
