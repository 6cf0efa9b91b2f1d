/**
 * `mpcap query "SQL" DIR|CAPTURE…`: SQL over an exported dataset with DuckDB embedded in the
 * process; the tables are views named as the dataset's tables. Captures given instead of a dataset
 * are exported to a temporary one first.
 */
import type { Command } from 'commander';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cell } from '../analysis/csv.js';
import { exportCaptureSet } from '../export/capture-set.js';
import { PACKETS_TABLE } from '../export/packets.js';
import { captureSets, SetError } from '../export/sets.js';
import { createViews, isDataset } from '../export/views.js';
import { OutputSink } from '../analysis/output-sink.js';
import { requireDuckdb } from './duckdb.js';
import { UsageError, type SetExit } from './errors.js';
import { version } from './version.js';
import { ExitCode, type CliIo } from './io.js';
import { tableWidth } from './terminal.js';

interface QueryOptions {
  json?: boolean;
  csv?: boolean;
  wide?: boolean;
}

export function registerQuery(program: Command, io: CliIo, setExit: SetExit): void {
  program
    .command('query')
    .description('run SQL (DuckDB) over an exported dataset, or over captures (exported to a temporary dataset first)')
    .argument('<sql>', 'the SQL; the tables are views: captures, connections, subflows, addresses, data, reinjections, gaps, closing, series (docs/dataset.md)')
    .argument('<inputs...>', 'a dataset directory (written by mpcap export), or capture files')
    .option('--json', 'the rows as a JSON array of objects (64-bit integers past 2^53 as strings)')
    .option('--csv', 'the rows as CSV (RFC 4180, header row)')
    .option('--wide', 'every column, however wide (default: the columns that fit the terminal, or COLUMNS, or 80)')
    .addHelpText(
      'after',
      `
Examples:
  mpcap query "SELECT capture, count(*) AS subflows FROM subflows GROUP BY ALL" ds/
  mpcap query --csv "SELECT * FROM data WHERE \\"reinjectedBytes\\" > 0" ds/ > reinjected.csv
  mpcap query --json "SELECT \\"tcpStream\\", \\"rtt_medianUs\\" FROM subflows" capture.pcap
Column names are analyze --json's (camelCase: quote them in SQL). Needs the optional dependency
@duckdb/node-api (exit 6 with an install hint when it is missing).`,
    )
    .action(async (sql: string, inputs: string[], opts: QueryOptions) => {
      setExit(await runQuery(sql, inputs, opts, io));
    });
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** DuckDB's JSON form, with 64-bit integers that fit a double as numbers. */
function jsonValue(v: Json, type: string): Json {
  if (typeof v === 'string' && /^(U?BIGINT|HUGEINT|UHUGEINT|DECIMAL)/.test(type)) {
    const n = Number(v);
    if (type.startsWith('DECIMAL') || Number.isSafeInteger(n)) return n;
  }
  return v;
}

async function runQuery(sql: string, inputs: string[], opts: QueryOptions, io: CliIo): Promise<number> {
  if (opts.json && opts.csv) throw new UsageError('--json and --csv: give one of them');
  let code: number = ExitCode.OK;
  let dir: string;
  let temp: string | null = null;
  const duck = await requireDuckdb('query', io.env);
  if (inputs.length === 1 && (await isDataset(inputs[0] as string))) {
    dir = inputs[0] as string;
  } else {
    let sets: string[][];
    try {
      sets = await captureSets(inputs);
    } catch (e) {
      if (e instanceof SetError) throw new UsageError(e.message);
      throw e;
    }
    temp = dir = await mkdtemp(join(tmpdir(), 'mpcap-query-'));
    for (const s of sets) {
      const r = await exportCaptureSet(s, dir, { force: false, packets: true, generator: `mpcap ${version()}` });
      if (r.error !== null) io.stderr.write(`mpcap: ${s.join(' + ')}: ${r.status === 'failed' ? 'not read' : 'warning'}: ${r.error}\n`);
      code = Math.max(code, r.exitCode);
    }
  }
  const instance = await duck.DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await createViews(conn, dir, [PACKETS_TABLE]);
    let reader;
    try {
      reader = await conn.runAndReadAll(sql);
    } catch (e) {
      throw new UsageError(`the SQL failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    const names = reader.columnNames();
    const types = reader.columnTypes().map(String);
    const rows = reader.getRowsJson() as Json[][];
    const out = new OutputSink(io.stdout);
    if (opts.json) {
      out.write('[');
      rows.forEach((r, i) => {
        const o: Record<string, Json> = {};
        names.forEach((n, j) => (o[n] = jsonValue(r[j] as Json, types[j] as string)));
        out.write(`${i === 0 ? '' : ','}\n  ${JSON.stringify(o)}`);
      });
      out.write(rows.length === 0 ? ']\n' : '\n]\n');
    } else if (opts.csv) {
      out.write(names.map((n) => cell(n)).join(',') + '\n');
      for (const r of rows) out.write(r.map((v) => cell(v === null ? null : typeof v === 'object' ? JSON.stringify(v) : v)).join(',') + '\n');
    } else {
      renderTable(names, rows, tableWidth(io.stdout, io.env, opts.wide), (s) => out.write(s));
    }
    await out.end();
  } finally {
    conn.closeSync();
    instance.closeSync();
    if (temp !== null) await rm(temp, { recursive: true, force: true });
  }
  return code;
}

const text = (v: Json): string => (v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/**
 * Rows as an aligned table within `width`: the columns that fit, in order (the rest counted
 * below), and cells cut with '…' past a share of the width.
 */
function renderTable(names: string[], rows: Json[][], width: number, write: (s: string) => void): void {
  const maxCell = Number.isFinite(width) ? Math.max(12, Math.floor(width / 3)) : Infinity;
  const cut = (s: string): string => (s.length > maxCell ? s.slice(0, maxCell - 1) + '…' : s);
  const cells = rows.map((r) => r.map((v) => cut(text(v))));
  const widths = names.map((n, j) => Math.max(cut(n).length, ...cells.map((r) => (r[j] as string).length)));
  const numeric = names.map((_, j) => rows.length > 0 && rows.every((r) => r[j] === null || typeof r[j] === 'number'));
  let shown = 0;
  let used = 0;
  while (shown < names.length && used + (widths[shown] as number) + (shown > 0 ? 2 : 0) <= width) used += (widths[shown++] as number) + (shown > 1 ? 2 : 0);
  if (shown === 0) shown = 1;
  const line = (r: string[]): string =>
    r
      .slice(0, shown)
      .map((s, j) => (numeric[j] ? s.padStart(widths[j] as number) : s.padEnd(widths[j] as number)))
      .join('  ')
      .trimEnd() + '\n';
  write(line(names.map(cut)));
  write(line(widths.map((w) => '-'.repeat(w))));
  for (const r of cells) write(line(r));
  const hidden = names.length - shown;
  write(`(${rows.length} row${rows.length === 1 ? '' : 's'}${hidden > 0 ? `; ${hidden} more column${hidden === 1 ? '' : 's'} not shown: --wide, --csv or --json` : ''})\n`);
}
