/**
 * `mpcap export`: captures into a Hive-partitioned Parquet dataset (DIR/TABLE/capture=ID/part-N.parquet),
 * the tables of src/export/columns.ts, from the same analysis as `analyze --json`.
 */
import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { exportCaptureSet, hasCaptures, recordFailure, type ExportResult } from '../export/capture-set.js';
import { runPool } from '../export/pool.js';
import { captureSets, SetError } from '../export/sets.js';
import { plural } from '../analysis/plural.js';
import { UsageError, type SetExit } from './errors.js';
import { version } from './version.js';
import { ExitCode, prepareDirectory, type CliIo } from './io.js';

interface ExportOptions {
  output?: string;
  force?: boolean;
  jobs?: string;
  merge?: boolean;
  list?: boolean;
  packets?: boolean;
}

export function registerExport(program: Command, io: CliIo, setExit: SetExit): void {
  program
    .command('export')
    .description('write captures as a Parquet dataset (tables captures, connections, subflows, addresses, data, reinjections, gaps, closing, series) for DuckDB, Spark, pandas, polars')
    .argument('<captures...>', "capture files, directories (each capture file under it is one capture), or quoted globs ('cap-0*.pcap': its files are one capture, as rotated files)")
    .option('-o, --output <dir>', 'the dataset directory (made if missing; exported captures are added to it)')
    .option('--force', 'export again a capture already in the dataset (same content hash)')
    .option('-j, --jobs <n>', 'capture sets exported at once, on worker threads (default: the number of cores)')
    .option('--packets', 'also the per-packet MPTCP table `packets` (frame, time, tcp.stream, mptcp.stream, subtypes, flags, DSN, subflow sequence, data length, data ACK, payload length, problems), written as the capture is read')
    .option('--merge', 'read every file given as one capture (as analyze reads several files)')
    .option('--list', 'print the capture sets the arguments make, one JSON array of files a line, and export nothing (scripts/dask-export.py uses it)')
    .addHelpText(
      'after',
      `
Examples:
  mpcap export -o ds/ capture.pcap
  mpcap export -o ds/ archive/                       # every capture file under archive/, on all cores
  mpcap export -o ds/ 'rotated-0*.pcap'              # rotated files: one capture
  mpcap export -o ds/ --jobs 2 archive/*.pcapng
  mpcap export -o ds/ --packets big.pcap             # also one row per MPTCP packet
  mpcap query "SELECT count(*) FROM subflows" ds/

Layout: DIR/TABLE/capture=ID/part-0.parquet, ID the first 16 hex digits of the SHA-256 of the
capture's bytes; see docs/dataset.md for every column. mpcap writes the Parquet files itself:
export needs no DuckDB (query does: the optional dependency @duckdb/node-api).`,
    )
    .action(async (captures: string[], opts: ExportOptions) => {
      setExit(await runExport(captures, opts, io));
    });
}

export function parseJobs(text: string | undefined): number {
  if (text === undefined) return availableParallelism();
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--jobs ${text}: expected a positive whole number`);
  return n;
}

async function runExport(args: string[], opts: ExportOptions, io: CliIo): Promise<number> {
  if (opts.output === undefined && !opts.list) throw new UsageError('export needs the dataset directory: -o DIR');
  if (args.includes('-')) throw new UsageError('export reads capture files, not standard input (a capture is named by the hash of its bytes)');
  const jobs = parseJobs(opts.jobs);
  let sets: string[][];
  try {
    sets = await captureSets(args, opts.merge === true);
  } catch (e) {
    if (e instanceof SetError) throw new UsageError(e.message);
    throw e;
  }
  if (opts.list || opts.output === undefined) {
    for (const s of sets) io.stdout.write(JSON.stringify(s) + '\n');
    return ExitCode.OK;
  }
  await prepareDirectory(opts.output, '-o');
  const generator = `mpcap ${version()}`;
  const out = opts.output;
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true && io.env.CI === undefined;
  const counts = { exported: 0, skipped: 0, failed: 0 };
  let code: number = ExitCode.OK;
  const pending: Array<Promise<void>> = [];
  const done = (r: ExportResult): void => {
    counts[r.status]++;
    if (r.exitCode !== 0) code = Math.max(code, r.exitCode);
    if (r.error !== null) io.stderr.write(`${tty ? '\r\x1b[K' : ''}mpcap: ${r.files.join(' + ')}: ${r.status === 'failed' ? 'not exported' : 'warning'}: ${r.error}\n`);
    // a set whose worker died has no row yet: record it here
    if (r.id === '') pending.push(recordFailure(r.files, out, r.error ?? 'failed', r.exitCode, generator).then(() => undefined));
    if (tty) io.stderr.write(`\r\x1b[Kexport: ${counts.exported + counts.skipped + counts.failed}/${sets.length} captures (${counts.failed} failed)`);
  };
  const options = { force: opts.force === true, packets: opts.packets === true, generator, datasetHadCaptures: await hasCaptures(out) };
  if (jobs === 1 || sets.length === 1) {
    for (const s of sets) done(await exportCaptureSet(s, out, options));
  } else {
    await runPool(sets, out, options, jobs, done);
  }
  await Promise.all(pending);
  if (tty) io.stderr.write('\r\x1b[K');
  const parts = [`${plural(counts.exported, 'capture')} exported`];
  if (counts.skipped > 0) parts.push(`${counts.skipped} already there (--force to export again)`);
  if (counts.failed > 0) parts.push(`${counts.failed} failed (recorded in captures)`);
  io.stderr.write(`mpcap: ${parts.join(', ')}: ${out}\n`);
  return code;
}
