import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { Paginated } from '../../common/dto/pagination.dto';
import { newestFirstPage } from '../../database/newest-first-page';
import { EvalRunEntity } from '../eval-runs/entities/eval-run.entity';
import { EMPTY_TOTALS, MonitorRunTotals } from './dto/monitor-response.dto';
import { MonitorEntity, MonitorStatus } from './entities/monitor.entity';

/** Monitor persistence, every query scoped to a project. */
@Injectable()
export class MonitorsRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(MonitorEntity) private readonly monitors: Repository<MonitorEntity>,
    @InjectRepository(EvalRunEntity) private readonly runs: Repository<EvalRunEntity>,
  ) {}

  insert(fields: Partial<MonitorEntity>): Promise<MonitorEntity> {
    return this.monitors.save(this.monitors.create(fields));
  }

  find(projectId: string, id: string): Promise<MonitorEntity | null> {
    return this.monitors.findOneBy({ id, projectId });
  }

  list(
    projectId: string,
    status: MonitorStatus | undefined,
    limit: number,
    offset: number,
  ): Promise<Paginated<MonitorEntity>> {
    return newestFirstPage(this.monitors, { projectId, ...(status ? { status } : {}) }, limit, offset);
  }

  /**
   * Reads the monitor under a row lock and applies `change` in one transaction, so an update never
   * interleaves with a fire of the same monitor. Null when the project has no such monitor.
   */
  async modify(
    projectId: string,
    id: string,
    change: (m: MonitorEntity) => Partial<MonitorEntity> | null,
  ): Promise<MonitorEntity | null> {
    return this.dataSource.transaction(async (m: EntityManager) => {
      const repo = m.getRepository(MonitorEntity);
      const monitor = await repo
        .createQueryBuilder('m')
        .setLock('pessimistic_write')
        .where('m.id = :id AND m.project_id = :projectId', { id, projectId })
        .getOne();
      if (!monitor) return null;
      const patch = change(monitor);
      if (patch && Object.keys(patch).length > 0)
        await repo.update({ id }, patch as QueryDeepPartialEntity<MonitorEntity>);
      return repo.findOneByOrFail({ id });
    });
  }

  /** Deletes the monitor; its runs stay, with monitor_id set null by the foreign key. */
  async delete(projectId: string, id: string): Promise<boolean> {
    const result = await this.monitors.delete({ id, projectId });
    return (result.affected ?? 0) > 0;
  }

  listRuns(projectId: string, monitorId: string, limit: number, offset: number): Promise<Paginated<EvalRunEntity>> {
    return newestFirstPage(this.runs, { projectId, monitorId }, limit, offset);
  }

  /** Run totals per monitor, one grouped query over the monitor index. */
  async totals(projectId: string, monitorIds: string[]): Promise<Map<string, MonitorRunTotals>> {
    const out = new Map<string, MonitorRunTotals>();
    if (monitorIds.length === 0) return out;
    const rows: Array<Record<string, string>> = await this.dataSource.query(
      `SELECT monitor_id,
              count(*) AS runs,
              count(*) FILTER (WHERE status = 'PENDING') AS pending,
              count(*) FILTER (WHERE status = 'RUNNING') AS running,
              count(*) FILTER (WHERE status = 'COMPLETED') AS completed,
              count(*) FILTER (WHERE status = 'FAILED') AS failed,
              count(*) FILTER (WHERE status = 'CANCELLED') AS cancelled,
              count(*) FILTER (WHERE stop_reason = 'BUDGET') AS budget_stopped,
              coalesce(sum(total_targets), 0) AS targets,
              coalesce(sum(judge_calls), 0) AS judge_calls,
              coalesce(sum(judge_input_tokens + judge_output_tokens), 0) AS judge_tokens
       FROM eval_runs WHERE project_id = $1 AND monitor_id = ANY($2::uuid[])
       GROUP BY monitor_id`,
      [projectId, monitorIds],
    );
    for (const r of rows) {
      const totals = { ...EMPTY_TOTALS };
      for (const key of Object.keys(EMPTY_TOTALS) as Array<keyof MonitorRunTotals>) totals[key] = Number(r[key]);
      out.set(r.monitor_id, totals);
    }
    return out;
  }
}
