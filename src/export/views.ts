/**
 * The dataset opened in DuckDB for `query`: one view per table, named as the table, over
 * DIR/TABLE/capture=*\/*.parquet with the `capture` partition as text. A table with no file yet is
 * an empty view of the right columns (made from columns.ts), so that every query of the README
 * runs on any dataset.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { TABLES, type Table } from './columns.js';
import { sqlName, sqlString } from './duckdb.js';

async function hasFiles(dir: string): Promise<boolean> {
  const parts = await readdir(dir).catch(() => [] as string[]);
  for (const p of parts) {
    if (!p.startsWith('capture=')) continue;
    const files = await readdir(join(dir, p)).catch(() => [] as string[]);
    if (files.some((f) => f.endsWith('.parquet'))) return true;
  }
  return false;
}

/** SQL that reads one table of the dataset at `dir` (the reader any other program would use). */
export function readSql(dir: string, t: Table): string {
  return `read_parquet(${sqlString(join(dir, t.name, 'capture=*', '*.parquet'))}, hive_partitioning = true, hive_types = {'capture': VARCHAR}, union_by_name = true)`;
}

function emptySql(t: Table): string {
  // the partition column last, where hive_partitioning puts it
  return `SELECT ${t.columns.map((c) => `NULL::${c.type} AS ${sqlName(c.name)}`).join(', ')}, NULL::VARCHAR AS capture WHERE false`;
}

/** Is `dir` a dataset (has a `captures` table directory)? */
export async function isDataset(dir: string): Promise<boolean> {
  return (await stat(join(dir, 'captures')).catch(() => null))?.isDirectory() === true;
}

export async function createViews(conn: DuckDBConnection, dir: string, extra: readonly Table[] = []): Promise<void> {
  for (const t of [...TABLES, ...extra]) {
    const body = (await hasFiles(join(dir, t.name))) ? `SELECT * FROM ${readSql(dir, t)}` : emptySql(t);
    await conn.run(`CREATE OR REPLACE VIEW ${sqlName(t.name)} AS ${body}`);
  }
}
