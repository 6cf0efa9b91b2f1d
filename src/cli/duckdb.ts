/** DuckDB for `query`, or the CommandFailure (exit 6) that says how to install it. */
import { DUCKDB_MODULE, loadDuckdb, NO_DUCKDB_EXIT, type DuckApi } from '../export/duckdb.js';
import { CommandFailure } from './errors.js';

export async function requireDuckdb(command: string, env?: Record<string, string | undefined>): Promise<DuckApi> {
  try {
    return await loadDuckdb(env);
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new CommandFailure(`${command} needs DuckDB, an optional dependency that is not installed (${why}): install it with 'npm install ${DUCKDB_MODULE}' in mpcap's directory (or 'npm install -g ${DUCKDB_MODULE}' beside a global mpcap)`, NO_DUCKDB_EXIT);
  }
}
