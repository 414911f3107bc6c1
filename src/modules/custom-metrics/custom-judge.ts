import { z } from 'zod';
import type { JudgeService } from '../judge/judge.service';
import type { GenerateOptions, StageRef } from '../judge/judge.types';
import { stagePrompt } from '../metrics/metric-definition';
import type { CheckedDefinition } from './definition-rules';
import { CustomOutputType } from './entities/custom-metric.entity';

const REASON = z.string().nullable();

/** The answer a custom metric's judge returns, by output type. */
export function answerSchema(d: CheckedDefinition): z.ZodType<Record<string, unknown>> {
  switch (d.outputType) {
    case CustomOutputType.NUMERIC:
      return z.strictObject({ score: z.number().min(0).max(1), reason: REASON });
    case CustomOutputType.BOOLEAN:
      return z.strictObject({ verdict: z.boolean(), reason: REASON });
    case CustomOutputType.CATEGORICAL:
      return z.strictObject({ label: z.enum(d.labels as [string, ...string[]]), reason: REASON });
  }
}

const ANSWER_FIELD: Record<CustomOutputType, string> = {
  NUMERIC: 'score',
  BOOLEAN: 'verdict',
  CATEGORICAL: 'label',
};

function answerRule(d: CheckedDefinition): string {
  switch (d.outputType) {
    case CustomOutputType.NUMERIC:
      return 'score: a number from 0 to 1, where 1 means the run fully meets the rubric and 0 that it fails it entirely.';
    case CustomOutputType.BOOLEAN:
      return 'verdict: true if the run meets the rubric, false if it does not.';
    case CustomOutputType.CATEGORICAL:
      return `label: exactly one of ${d.labels!.map((l) => JSON.stringify(l)).join(', ')}.`;
  }
}

export const customStage = (name: string): StageRef => ({ metric: name, stage: 'judge' });

/** The prompt a custom metric sends: the stage line, the filled rubric, the examples, the answer rule. */
export function customPrompt(name: string, d: CheckedDefinition, renderedRubric: string): string {
  const field = ANSWER_FIELD[d.outputType];
  const examples = d.examples.length
    ? [
        'Examples of how to answer:',
        ...d.examples.map(
          (e, i) =>
            `Example ${i + 1}:\n${e.input}\nAnswer: ${JSON.stringify({ [field]: e.value, reason: e.reason ?? null })}`,
        ),
      ].join('\n\n')
    : null;
  return stagePrompt(
    customStage(name),
    'Judge one run of an AI agent against the rubric below, written by the team that runs the agent.',
    renderedRubric,
    examples,
    `${answerRule(d)} reason: one or two sentences.`,
    `Reply with a JSON object with the fields "${field}", "reason".`,
  );
}

/** A custom metric's judgement as stored on a score: the value always a string, as on the wire. */
export interface CustomJudgement {
  dataType: CustomOutputType;
  value: string;
  success: boolean;
  reason: string | null;
}

/** One judge call for a custom metric; usage goes to `opts.usage` like any metric's. */
export async function judgeCustom(
  judge: JudgeService,
  name: string,
  d: CheckedDefinition,
  prompt: string,
  opts: GenerateOptions,
): Promise<CustomJudgement> {
  return judgementOf(d, (await judge.generate(customStage(name), answerSchema(d), prompt, opts)).value);
}

/** The judge's answer (checked against answerSchema) as a score carries it. */
export function judgementOf(d: CheckedDefinition, answer: Record<string, unknown>): CustomJudgement {
  const reason = (answer.reason as string | null) ?? null;
  switch (d.outputType) {
    case CustomOutputType.NUMERIC: {
      const score = answer.score as number;
      return { dataType: d.outputType, value: String(score), success: score >= (d.threshold ?? 0.5), reason };
    }
    case CustomOutputType.BOOLEAN: {
      const verdict = answer.verdict as boolean;
      return { dataType: d.outputType, value: String(verdict), success: verdict, reason };
    }
    case CustomOutputType.CATEGORICAL: {
      const label = answer.label as string;
      return { dataType: d.outputType, value: label, success: d.successLabels!.includes(label), reason };
    }
  }
}
