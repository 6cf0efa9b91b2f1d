/**
 * DuckDB (`@duckdb/node-api`, an optional dependency) loaded only by `query`, as the libpcap
 * binding is only by `live`: without it the rest of mpcap works (`export` writes its Parquet files
 * itself), and `query` says how to install it and exits 6 (src/cli/duckdb.ts).
 */
import type * as Duck from '@duckdb/node-api';

export type DuckApi = typeof Duck;

/** Exit code when DuckDB cannot be loaded (the README's "could not start", as live's libpcap). */
export const NO_DUCKDB_EXIT = 6;

export const DUCKDB_MODULE = '@duckdb/node-api';

let loaded: Promise<DuckApi> | null = null;

export function loadDuckdb(env: Record<string, string | undefined> = process.env): Promise<DuckApi> {
  // MPCAP_NO_DUCKDB: the tests' way to see the message of a machine without it
  const module = env.MPCAP_NO_DUCKDB === '1' ? `${DUCKDB_MODULE}-absent` : DUCKDB_MODULE;
  if (module !== DUCKDB_MODULE) return import(module) as Promise<DuckApi>;
  // a failed load is not kept: the next call tries again
  loaded ??= (import(module) as Promise<DuckApi>).catch((e: unknown) => {
    loaded = null;
    throw e;
  });
  return loaded;
}

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** A SQL identifier (the analyze names are camelCase: quoted, they keep their case in every reader). */
export function sqlName(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}
