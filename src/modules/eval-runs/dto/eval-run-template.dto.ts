import { ApiProperty } from '@nestjs/swagger';

class PromptPreviewDto {
  @ApiProperty({ example: 'extract' }) stage: string;
  @ApiProperty({ description: 'The rendered prompt text of this stage, built from a small sample trace.' })
  prompt: string;
}

class TemplateMetricDto {
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ example: 'trace' }) category: string;
  @ApiProperty({ type: 'number', example: 0.5 }) default_threshold: number;
  @ApiProperty({ type: [PromptPreviewDto] }) prompt_preview: PromptPreviewDto[];
}

class TemplateFiltersDto {
  @ApiProperty({ type: String, nullable: true }) date_from: null;
  @ApiProperty({ type: String, nullable: true }) date_to: null;
  @ApiProperty({ type: String, nullable: true }) status: null;
  @ApiProperty({ type: String, nullable: true }) session_id: null;
  @ApiProperty({ type: String, nullable: true }) user_id: null;
  @ApiProperty({ type: [String], nullable: true }) tags: null;
  @ApiProperty({ type: String, nullable: true }) name: null;
}

/** GET /evaluations/trace-runs/template: a starting point for a run of one metric. */
export class EvalRunTemplateResponse {
  @ApiProperty({ type: TemplateMetricDto }) metric: TemplateMetricDto;
  @ApiProperty({ type: TemplateFiltersDto }) filters: TemplateFiltersDto;
  @ApiProperty({ type: 'number', example: 1.0 }) sampling_rate: number;
  @ApiProperty({ example: 'openai/gpt-4o-mini', description: 'The resolved default judge model.' }) model: string;
}
