import { Body, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsString, Matches, Min } from 'class-validator';
import { ApiProperty } from '@nestjs/swagger';
import { Paginated, PaginationQueryDto } from '../../common/dto/pagination.dto';
import { stacked } from '../../common/decorators';
import { Answers } from '../../common/http/route.decorators';
import { RateLimit } from '../auth/decorators/auth.decorator';
import { ProjectController } from '../auth/decorators/controller.decorator';
import { CurrentProject } from '../auth/decorators/current-project.decorator';
import { ProjectContext } from '../auth/types/project-context';
import { CustomMetricPreviewService } from './custom-metric-preview.service';
import { CustomMetricsService } from './custom-metrics.service';
import {
  CreateCustomMetricRequest,
  CustomMetricResponse,
  CustomMetricVersionResponse,
  UpdateCustomMetricRequest,
} from './dto/custom-metric.dto';
import { PreviewDraftRequest, PreviewResponse, PreviewSavedRequest } from './dto/preview.dto';

class MetricNameParams {
  @ApiProperty({ example: 'refund_policy' })
  @IsString()
  @Matches(/^[a-z][a-z0-9_]{0,63}$/, { message: 'name must be a custom metric name (snake_case)' })
  name: string;
}

class MetricVersionParams extends MetricNameParams {
  @ApiProperty({ type: 'integer', minimum: 1, example: 2 })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  version: number;
}

/** A preview: 200 with what the judge would get (and answer), under run creation's `evalRuns` limit. */
const PreviewRoute = (summary: string) =>
  stacked(
    RateLimit('evalRuns'),
    Answers.ok(PreviewResponse, {
      summary,
      description: 'Nothing is stored. With judge: true the judge is called once (limited like run creation).',
    }),
  );

/** /evaluations/custom-metrics: a project's own LLM-judged metrics, versioned. */
@ProjectController('custom metrics', 'evaluations/custom-metrics')
export class CustomMetricsController {
  constructor(
    private readonly metrics: CustomMetricsService,
    private readonly previews: CustomMetricPreviewService,
  ) {}

  @Post()
  @Answers.created(CustomMetricResponse, {
    summary: 'Create a custom metric (version 1)',
    description:
      'A name never used by a built-in metric; a prompt template naming the trace parts the judge sees; an output type. ' +
      'A template that does not parse, names an unknown variable or is too long is a 422 naming the problem.',
  })
  create(
    @CurrentProject() ctx: ProjectContext,
    @Body() body: CreateCustomMetricRequest,
  ): Promise<CustomMetricResponse> {
    return this.metrics.create(ctx, body);
  }

  @Get()
  @Answers.page(CustomMetricResponse, 'The project’s custom metrics, by name, each with its latest version')
  list(
    @CurrentProject() ctx: ProjectContext,
    @Query() q: PaginationQueryDto,
  ): Promise<Paginated<CustomMetricResponse>> {
    return this.metrics.list(ctx, q);
  }

  @Post('preview')
  @PreviewRoute('Try an unsaved rubric on one trace: the prompt the judge would get, and optionally its answer')
  previewDraft(@CurrentProject() ctx: ProjectContext, @Body() body: PreviewDraftRequest): Promise<PreviewResponse> {
    return this.previews.draft(ctx, body);
  }

  @Get(':name')
  @Answers.ok(CustomMetricResponse, 'A custom metric with its latest version')
  get(@CurrentProject() ctx: ProjectContext, @Param() p: MetricNameParams): Promise<CustomMetricResponse> {
    return this.metrics.getResponse(ctx, p.name);
  }

  @Patch(':name')
  @Answers.ok(CustomMetricResponse, {
    summary: 'Change a custom metric',
    description:
      'Any change to what the judge sees or answers (template, output type, labels, threshold, model, examples) makes a ' +
      'new immutable version; a description change alone does not. A new output_type drops the old labels, ' +
      'success_labels and threshold unless they are sent again.',
  })
  update(
    @CurrentProject() ctx: ProjectContext,
    @Param() p: MetricNameParams,
    @Body() body: UpdateCustomMetricRequest,
  ): Promise<CustomMetricResponse> {
    return this.metrics.update(ctx, p.name, body);
  }

  @Delete(':name')
  @Answers.noContent({
    summary: 'Delete a custom metric',
    description:
      'Its scores stay. Creating the name again continues its version numbers, so old scores never match a new rubric.',
  })
  async remove(@CurrentProject() ctx: ProjectContext, @Param() p: MetricNameParams): Promise<void> {
    await this.metrics.remove(ctx, p.name);
  }

  @Get(':name/versions')
  @Answers.page(CustomMetricVersionResponse, 'Every version of a custom metric, newest first')
  versions(
    @CurrentProject() ctx: ProjectContext,
    @Param() p: MetricNameParams,
    @Query() q: PaginationQueryDto,
  ): Promise<Paginated<CustomMetricVersionResponse>> {
    return this.metrics.versions(ctx, p.name, q);
  }

  @Get(':name/versions/:version')
  @Answers.ok(CustomMetricVersionResponse, 'One version of a custom metric')
  version(
    @CurrentProject() ctx: ProjectContext,
    @Param() p: MetricVersionParams,
  ): Promise<CustomMetricVersionResponse> {
    return this.metrics.version(ctx, p.name, p.version);
  }

  @Post(':name/preview')
  @PreviewRoute('A saved version on one trace: the prompt the judge would get, and optionally its answer')
  previewSaved(
    @CurrentProject() ctx: ProjectContext,
    @Param() p: MetricNameParams,
    @Body() body: PreviewSavedRequest,
  ): Promise<PreviewResponse> {
    return this.previews.saved(ctx, p.name, body);
  }
}
