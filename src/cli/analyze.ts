/**
 * `mpcap analyze`: connections, subflows, addresses, keys, tokens and HMAC verdicts.
 */
import { plural } from '../analysis/plural.js';
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import type { ReadCaptureSummary } from '../dissect/capture/source.js';
import type { MergedSummary } from '../dissect/capture/merge.js';
import type { Frame } from '../dissect/frame.js';
import { renderReportParts } from '../analysis/render-tables.js';
import { writeCsv } from '../analysis/csv.js';
import { join } from 'node:path';
import type { MptcpTracker } from '../reassembly/tracker.js';
import { Analysis } from '../analysis/analysis.js';
import { DEFAULT_HELD_SUBFLOWS, SpoolError } from '../analysis/spool.js';
import { parsePacketCount, runPipeline } from '../analysis/pipeline.js';
import { ATTEMPTS_LISTED, type Report, type ReportOptions } from '../analysis/report.js';
import { writeReportsJson } from '../analysis/report-json.js';
import type { SetExit } from './errors.js';
import { closeStream, ExitCode, openOutput, prepareDirectory, OutputSink, useColor, type CliIo } from './io.js';
import { UsageError } from './errors.js';
import { version } from './version.js';
import { Progress } from './progress.js';
import { collectIndex, compileFilterOption } from './filter-option.js';
import { LazyView } from './dissect.js';
import type { CompiledFilter } from '../filter/compile.js';
import { buildSelection, FilterMatches, SelectionError } from '../filter/select.js';
import { tableWidth } from './terminal.js';

interface AnalyzeOptions {
  read?: string;
  json?: boolean;
  output?: string;
  count?: string;
  color?: boolean;
  all?: boolean;
  csv?: string;
  attempts?: boolean;
  displayFilter?: string;
  connection: number[];
  subflow: number[];
  wide?: boolean;
  maxHeld: string;
}

export function registerAnalyze(program: Command, io: CliIo, setExit: SetExit): void {
  program
    .command('analyze')
    .description('link subflows into MPTCP connections; verify keys, tokens and HMACs; report how each ended')
    .argument('[files...]', "capture files (pcap or pcapng, optionally gzip-compressed; several are read as one capture, in time order, as mergecap merges them); '-' for standard input")
    .option('-r, --read <file>', 'capture file to read')
    .option('-c, --count <n>', 'stop after n packets')
    .option('--json', 'print the report as JSON (schema: schema/report.schema.json)')
    .option('-o, --output <file>', 'write the report to a file instead of standard output')
    .option('--csv <dir>', 'also write one CSV file per table and per time series into this directory')
    .option('--all', 'show every connection, subflow and address row (default: the 50 largest connections, 50 rows of each table)')
    .option('--attempts', `list every connection attempt nobody answered (default: listed only when there are at most ${ATTEMPTS_LISTED}, else counted in summary.attempts)`)
    .option('-Y, --display-filter <filter>', "keep the connections that have at least one packet matching this Wireshark display filter")
    .option('--connection <n>', 'keep connection n (mptcp.stream; repeatable)', collectIndex('--connection'), [])
    .option('--subflow <n>', "keep the connection of subflow n (tcp.stream; repeatable) and list only the subflows asked for", collectIndex('--subflow'), [])
    .option('--max-held <subflows>', 'subflows held in memory at once; past it the connections least likely to see another packet (closed, unanswered, then idle) are written out early to a temporary file, so a flood fits in bounded memory', String(DEFAULT_HELD_SUBFLOWS))
    .option('--wide', 'every column of every table, however wide (default: the columns that fit the terminal, or COLUMNS, or 80)')
    .option('--color', 'colour the tables even when not on a terminal')
    .option('--no-color', 'never colour the tables (NO_COLOR in the environment does the same)')
    .addHelpText(
      'after',
      `
Examples:
  mpcap analyze capture.pcap
  mpcap analyze --wide capture.pcap | less -S       # every column, however wide
  mpcap analyze --json capture.pcap | jq '.connections[].subflows[] | {tcpStream, hmacValid}'
  mpcap analyze --json -o report.json capture.pcapng.gz
  mpcap analyze --csv out/ capture.pcap     # out/subflows.csv, out/series_subflow_rtt.csv, ...
  mpcap analyze -Y 'ip.addr == 10.0.2.0/24' capture.pcap     # connections with a packet to or from 10.0.2.x
  mpcap analyze --connection 0 --connection 3 capture.pcap
  mpcap analyze --subflow 5 capture.pcap                      # subflow tcp.stream 5 and its connection
  mpcap analyze --json capture-0*.pcap | jq '.connections[]'  # rotated files: one capture, one report
  mpcap analyze --json --max-held 100000 busy-server.pcap     # more open subflows in memory before spilling`,
    )
    .action(async (files: string[], opts: AnalyzeOptions) => {
      setExit(await runAnalyze(files, opts, io));
    });
}

export interface AnalysisRun {
  report: Report;
  tracker: MptcpTracker;
  summary: ReadCaptureSummary;
}

interface CaptureRun {
  analysis: Analysis;
  summary: MergedSummary;
  name: string;
  matches: FilterMatches | null;
}

/** Bytes of a record's header, to estimate progress through several files (offsets are per file). */
const RECORD_HEADER_ESTIMATE = 16;

/** One pass over a capture (several files: one capture, merged by time): decode, track, reduce. */
export async function analyzeCapture(path: string | string[], io: Pick<CliIo, 'stdin' | 'stderr'>, limit: number, progress: Progress | null, filter: CompiledFilter | null = null, maxHeld = Infinity): Promise<CaptureRun> {
  const analysis = new Analysis();
  const pipeline = analysis.pipeline;
  const matches = filter === null ? null : new FilterMatches(filter, new LazyView(), pipeline);
  if (matches !== null) pipeline.subscribe(matches);
  if (maxHeld !== Infinity) analysis.holdAtMost(maxHeld);
  const paths = typeof path === 'string' ? [path] : path;
  let bytes = 0;
  const at = paths.length === 1 ? (frame: Frame) => frame.fileOffset : (frame: Frame) => (bytes += frame.capLen + RECORD_HEADER_ESTIMATE);
  const summary = await runPipeline(paths, pipeline, {
    stdin: io.stdin as NodeJS.ReadableStream,
    limit,
    ...(progress ? { afterFrame: (frame: Frame) => (progress.at(at(frame), pipeline.packets), true), afterChunk: () => progress.draw() } : {}),
  });
  progress?.done();
  const first = paths[0] as string;
  return { analysis, summary, name: first === '-' ? '(standard input)' : first, matches };
}

/** One pass over a capture and its whole report. Shared by the tests. */
export async function analyzeFile(path: string, io: Pick<CliIo, 'stdin' | 'stderr'>, limit = Infinity, progress: Progress | null = null, opts: ReportOptions = {}): Promise<AnalysisRun> {
  const run = await analyzeCapture(path, io, limit, progress);
  const report = run.analysis.report(run.name, run.summary, `mpcap ${version()}`, opts);
  return { report, tracker: run.analysis.tracker, summary: run.summary };
}

async function runAnalyze(files: string[], opts: AnalyzeOptions, io: CliIo): Promise<number> {
  const paths = opts.read !== undefined ? [opts.read, ...files] : files;
  // `--csv F` with no directory: commander took the capture as the directory
  if (paths.length === 0 && opts.csv !== undefined && (await stat(opts.csv).catch(() => null))?.isFile()) {
    throw new UsageError(`--csv takes a directory, and took '${opts.csv}', a file: give --csv DIR ${opts.csv}`);
  }
  if (paths.length === 0) throw new UsageError('no capture file given (use a file name, -r FILE, or - for standard input)');
  const limit = parsePacketCount(opts.count);
  if (limit === null) throw new UsageError(`-c ${opts.count}: expected a positive whole number of packets`);
  const maxHeld = parsePacketCount(opts.maxHeld);
  if (maxHeld === null || maxHeld === Infinity) throw new UsageError(`--max-held ${opts.maxHeld}: expected a positive whole number of subflows`);
  const color = opts.output === undefined && !opts.json && useColor(io.stdout, io.env, opts.color);
  const reportOpts: ReportOptions = { listAttempts: opts.attempts === true };
  // a path that cannot be written is found before the capture is read
  const outStream = opts.output === undefined ? io.stdout : await openOutput(opts.output);
  if (paths.filter((p) => p === '-').length > 1) throw new UsageError("standard input ('-') can be read only once");
  if (opts.csv !== undefined) await prepareDirectory(opts.csv, '--csv');
  const filter = compileFilterOption(opts.displayFilter);
  let code: number = ExitCode.OK;
  let size = 0;
  for (const path of paths) if (path !== '-') size += (await stat(path).catch(() => ({ size: 0 }))).size;
  const progress = Progress.maybe(io.stderr, io.env, size, paths.length === 1 ? (paths[0] as string) : `${paths.length} files`);
  // several files are one capture (rotated files, or captures made side by side): one report
  let run: CaptureRun;
  try {
    run = await analyzeCapture(paths, io, limit, progress, filter, maxHeld);
  } catch (e) {
    // the temporary file of --max-held: where it goes is the user's to say (TMPDIR)
    if (e instanceof SpoolError) throw new UsageError(e.message);
    throw e;
  }
  // the tables list the capture's warnings themselves: on stderr too they would be printed twice
  const inTables = opts.output === undefined && !opts.json;
  for (const input of run.summary.inputs) {
    const path = input.path;
    const fatal = input.summary.problems.find((p) => p.fatal);
    for (const p of input.summary.problems.slice(0, 10)) if (!inTables || p.fatal) io.stderr.write(`mpcap: ${path}: ${p.fatal ? 'error' : 'warning'}: ${p.message}\n`);
    if (fatal) {
      io.stderr.write(`mpcap: ${path}: the capture is damaged: the report covers the ${plural(input.summary.frames, 'packet')} before byte ${fatal.offset}\n`);
      code = ExitCode.DAMAGED;
    }
  }
  try {
    const selection = buildSelection(run.analysis.tracker, { matches: run.matches, connections: opts.connection, subflows: opts.subflow }, run.analysis.spooled());
    if (selection !== null) reportOpts.selection = selection;
  } catch (e) {
    if (e instanceof SelectionError) throw new UsageError(e.message);
    throw e;
  }
  const generator = `mpcap ${version()}`;
  if (opts.csv !== undefined) {
    const r = run.analysis.report(run.name, run.summary, generator, reportOpts);
    const names = await writeCsv(r, opts.csv);
    io.stderr.write(`mpcap: wrote ${names.length} CSV files to ${join(opts.csv, '')}\n`);
  }
  const out = new OutputSink(outStream);
  if (opts.json) {
    await writeReportsJson([run.analysis.parts(run.name, run.summary, generator, reportOpts)], out);
  } else {
    await renderReportParts(run.analysis.parts(run.name, run.summary, generator, reportOpts), { color, maxRows: opts.all ? Infinity : 50, width: tableWidth(io.stdout, io.env, opts.wide) }, (text) => out.write(text), () => out.drain());
  }
  await out.end();
  run.analysis.close();
  if (opts.output !== undefined) await closeStream(outStream);
  return code;
}
