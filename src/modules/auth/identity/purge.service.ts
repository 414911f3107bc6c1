import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../../../config/config.module';
import { AppConfig } from '../../../config/env';
import { ApiKeyAuthService } from '../api-key-auth.service';
import { OwnedTable, purgePlan, quoteIdent as q } from './purge-plan';

/** Rows deleted, per table. */
export type DeletedCounts = Record<string, number>;

const add = (counts: DeletedCounts, table: string, n: number) => {
  if (n > 0) counts[table] = (counts[table] ?? 0) + n;
};

/**
 * Deletes a project or an organization with everything it owns, in every table (the tables are
 * read from the catalog, see purgePlan), in batches of ORG_PURGE_BATCH_SIZE rows: each statement is
 * its own short transaction and skips rows another transaction holds, so ingestion and runs of
 * other projects never wait behind a deletion. The owner row goes last; its ON DELETE CASCADE
 * catches whatever was written meanwhile, and tables without a foreign key are swept again after.
 * An interrupted deletion leaves a consistent, smaller owner: deleting again finishes it.
 */
@Injectable()
export class PurgeService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keyAuth: ApiKeyAuthService,
  ) {}

  /** Rows per batch (ORG_PURGE_BATCH_SIZE). */
  private get batch(): number {
    return this.config.organizations.purgeBatchSize;
  }

  purgeProject(projectId: string, counts: DeletedCounts = {}): Promise<DeletedCounts> {
    return this.purgeOwner('project_id', 'projects', projectId, counts);
  }

  async purgeOrganization(orgId: string): Promise<DeletedCounts> {
    const counts: DeletedCounts = {};
    // Keys first, on every API process: nothing is ingested into the organization while it goes.
    const keys: { id: string }[] = await this.db.query(`SELECT id FROM api_keys WHERE org_id = $1 AND is_active`, [
      orgId,
    ]);
    for (const key of keys) await this.keyAuth.revoke(orgId, key.id);
    for (;;) {
      const projects: { id: string }[] = await this.db.query(`SELECT id FROM projects WHERE org_id = $1 LIMIT 100`, [
        orgId,
      ]);
      if (projects.length === 0) break;
      for (const p of projects) await this.purgeProject(p.id, counts);
    }
    return this.purgeOwner('org_id', 'organizations', orgId, counts);
  }

  /**
   * Empties the tables that reference the owner through `column`, deletes the owner row, then
   * sweeps again the tables its ON DELETE CASCADE does not reach.
   */
  private async purgeOwner(
    column: 'project_id' | 'org_id',
    ownerTable: 'projects' | 'organizations',
    owner: string,
    counts: DeletedCounts,
  ): Promise<DeletedCounts> {
    const plan = await purgePlan(this.db, column, ownerTable);
    for (const t of plan) await this.emptyTable(t, column, owner, counts);
    const [, gone]: [unknown, number] = await this.db.query(`DELETE FROM ${ownerTable} WHERE id = $1`, [owner]);
    add(counts, ownerTable, gone);
    for (const t of plan.filter((p) => !p.cascades)) await this.emptyTable(t, column, owner, counts);
    return counts;
  }

  /** Deletes a table's rows of one owner, children first, batch by batch. */
  private async emptyTable(t: OwnedTable, column: string, owner: string, counts: DeletedCounts): Promise<void> {
    const children = t.children.filter((c) => c.columns.length === 1);
    if (children.length === 0) {
      for (;;) {
        const n = await this.deleteBatch(t.table, `${q(column)} = $1`, [owner]);
        add(counts, t.table, n);
        if (n < this.batch) return;
      }
    }
    // Parents a batch at a time: their children in batches, then the parents themselves.
    const parentColumns = [...new Set(children.map((c) => c.columns[0][1]))];
    for (;;) {
      const parents: Record<string, unknown>[] = await this.db.query(
        `SELECT ${parentColumns.map(q).join(', ')} FROM ${q(t.table)} WHERE ${q(column)} = $1 LIMIT $2`,
        [owner, this.batch],
      );
      if (parents.length === 0) return;
      for (const child of children) {
        const [childColumn, parentColumn] = child.columns[0];
        const values = parents.map((p) => p[parentColumn]);
        for (;;) {
          const n = await this.deleteBatch(child.table, `${q(childColumn)} = ANY($1)`, [values]);
          add(counts, child.table, n);
          if (n < this.batch) break;
        }
      }
      const key = parentColumns[0];
      const [, n]: [unknown, number] = await this.db.query(
        `DELETE FROM ${q(t.table)} WHERE ${q(column)} = $1 AND ${q(key)} = ANY($2)`,
        [owner, parents.map((p) => p[key])],
      );
      add(counts, t.table, n);
    }
  }

  /** One statement, at most `batch` rows, none that another transaction holds (SKIP LOCKED). */
  private async deleteBatch(table: string, where: string, params: unknown[]): Promise<number> {
    const [, n]: [unknown, number] = await this.db.query(
      `DELETE FROM ${q(table)} WHERE ctid = ANY(ARRAY(
         SELECT ctid FROM ${q(table)} WHERE ${where} LIMIT ${this.batch} FOR UPDATE SKIP LOCKED))`,
      params,
    );
    return n;
  }
}
