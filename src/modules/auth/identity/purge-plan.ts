import { DataSource } from 'typeorm';

/** A table whose rows belong to a project or an organization through a column of their own. */
export interface OwnedTable {
  table: string;
  /** Tables without the owner column that hang off this one; their rows go first, in batches. */
  children: ChildTable[];
  /** Whether deleting the owner row would cascade to this table (else stragglers are swept after it). */
  cascades: boolean;
}

export interface ChildTable {
  table: string;
  /** child column -> parent column */
  columns: [string, string][];
}

/** A child the database does not know of: items are removed by a trigger on eval_runs, not a foreign key. */
const UNDECLARED_CHILDREN: { parent: string; child: ChildTable }[] = [
  { parent: 'eval_runs', child: { table: 'eval_run_items', columns: [['run_id', 'id']] } },
];

interface ForeignKey {
  child: string;
  parent: string;
  child_columns: string[];
  parent_columns: string[];
  cascade: boolean;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
export { quote as quoteIdent };

/**
 * Which tables hold rows of a project (a `project_id` column) or an organization (`org_id`), and
 * which tables hang off those, read from the catalog at run time: a table added later is covered
 * without touching the deletion code. Ordered so that a table is emptied before any table it
 * references with ON DELETE CASCADE, so no single statement deletes an unbounded cascade.
 */
export async function purgePlan(
  db: DataSource,
  ownerColumn: 'project_id' | 'org_id',
  ownerTable: string,
): Promise<OwnedTable[]> {
  const owned: { table_name: string }[] = await db.query(
    `SELECT c.table_name FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.column_name = $1
      ORDER BY c.table_name`,
    [ownerColumn],
  );
  const keys: ForeignKey[] = await db.query(
    `SELECT cl.relname AS child, pl.relname AS parent, con.confdeltype = 'c' AS cascade,
            array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
                    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i) AS child_columns,
            array(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
                    JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i) AS parent_columns
       FROM pg_constraint con
       JOIN pg_class cl ON cl.oid = con.conrelid
       JOIN pg_class pl ON pl.oid = con.confrelid
      WHERE con.contype = 'f' AND cl.relnamespace = current_schema()::regnamespace`,
  );
  const names = new Set(owned.map((r) => r.table_name).filter((n) => n !== ownerTable));
  const tables: OwnedTable[] = [...names].map((table) => ({
    table,
    cascades: keys.some((k) => k.child === table && k.parent === ownerTable && k.cascade),
    children: [
      ...keys
        .filter((k) => k.parent === table && k.cascade && !names.has(k.child) && k.child !== table)
        .map((k) => ({
          table: k.child,
          columns: k.child_columns.map((c, i): [string, string] => [c, k.parent_columns[i]]),
        })),
      ...UNDECLARED_CHILDREN.filter((u) => u.parent === table).map((u) => u.child),
    ],
  }));
  // Children first: a table goes once no remaining owned table cascades into it.
  const ordered: OwnedTable[] = [];
  const remaining = [...tables];
  while (remaining.length > 0) {
    const next =
      remaining.find(
        (t) =>
          !remaining.some((o) => o !== t && keys.some((k) => k.child === o.table && k.parent === t.table && k.cascade)),
      ) ?? remaining[0]; // a cascade cycle: any order is correct, only batching suffers
    ordered.push(next);
    remaining.splice(remaining.indexOf(next), 1);
  }
  return ordered;
}
