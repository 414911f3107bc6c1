import { Body, Get, Param, Put } from '@nestjs/common';
import { notFound } from '../../../common/errors/domain.error';
import { Answers } from '../../../common/http/route.decorators';
import { ProjectId } from '../../auth/decorators/current-project.decorator';
import { ProjectController } from '../../auth/decorators/controller.decorator';
import { ScoreIdParams } from '../dto/score-params.dto';
import { TraceScoresRepository } from '../trace-scores.repository';
import { JudgeTranscriptStore } from './judge-transcript.store';
import { TranscriptResponse, TranscriptSettings } from './transcript.dto';

/** What the judge was sent and answered for a score, and the project's opt-out. */
@ProjectController('trace scores', 'evaluations')
export class TranscriptsController {
  constructor(
    private readonly scores: TraceScoresRepository,
    private readonly transcripts: JudgeTranscriptStore,
  ) {}

  @Get('trace-scores/:score_id/transcript')
  @Answers.ok(TranscriptResponse, {
    summary: 'What the judge was sent and answered for a score: every attempt, its error and usage',
    description:
      'A 404 when the project has no such score. A score without a transcript (a manual score, a signal computed without a judge, a score written while the project opted out) answers `attempts: []` and `created_at: null`.',
  })
  async transcript(@ProjectId() projectId: string, @Param() params: ScoreIdParams): Promise<TranscriptResponse> {
    const score = await this.scores.findInProject(projectId, params.score_id);
    if (!score) throw notFound(`Score ${params.score_id} not found.`);
    const found = await this.transcripts.read(projectId, score.id);
    const version = score.metadata?.metric_version;
    return {
      score_id: score.id,
      trace_id: score.traceId,
      name: score.name,
      metric_version: version === undefined || version === null ? null : String(version),
      attempts: found?.attempts ?? [],
      created_at: found ? found.createdAt.toISOString() : null,
    };
  }

  @Get('transcript-settings')
  @Answers.ok(TranscriptSettings, 'Whether the project keeps judge transcripts')
  async settings(@ProjectId() projectId: string): Promise<TranscriptSettings> {
    return { enabled: await this.transcripts.enabled(projectId) };
  }

  @Put('transcript-settings')
  @Answers.ok(TranscriptSettings, {
    summary: 'Keep judge transcripts, or opt out',
    description: 'Applies to scores written from now on; transcripts already kept stay until their score is deleted.',
  })
  async setSettings(@ProjectId() projectId: string, @Body() body: TranscriptSettings): Promise<TranscriptSettings> {
    await this.transcripts.setEnabled(projectId, body.enabled);
    return { enabled: body.enabled };
  }
}
