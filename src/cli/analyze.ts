/**
 * `mpcap analyze`: connections, subflows, addresses, keys, tokens and HMAC verdicts.
 */
import { plural } from '../analysis/plural.js';
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import type { ReadCaptureSummary } from '../dissect/capture/source.js';
import type { Frame } from '../dissect/frame.js';
import { renderReportParts } from '../analysis/render-tables.js';
import { writeCsv } from '../analysis/csv.js';
import { basename, join } from 'node:path';
import type { MptcpTracker } from '../reassembly/tracker.js';
import { Analysis } from '../analysis/analysis.js';
import { parsePacketCount, runPipeline } from '../analysis/pipeline.js';
import { ATTEMPTS_LISTED, type Report, type ReportOptions } from '../analysis/report.js';
import { writeReportsJson } from '../analysis/report-json.js';
import type { SetExit } from './errors.js';
import { closeStream, ExitCode, openOutput, prepareDirectory, OutputSink, useColor, type CliIo } from './io.js';
import { UsageError } from './errors.js';
import { version } from './version.js';
import { Progress } from './progress.js';
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
  wide?: boolean;
}

export function registerAnalyze(program: Command, io: CliIo, setExit: SetExit): void {
  program
    .command('analyze')
    .description('link subflows into MPTCP connections; verify keys, tokens and HMACs; report how each ended')
    .argument('[files...]', "capture files (pcap or pcapng, optionally gzip-compressed); '-' for standard input")
    .option('-r, --read <file>', 'capture file to read')
    .option('-c, --count <n>', 'stop after n packets')
    .option('--json', 'print the report as JSON (schema: schema/report.schema.json)')
    .option('-o, --output <file>', 'write the report to a file instead of standard output')
    .option('--csv <dir>', 'also write one CSV file per table and per time series into this directory')
    .option('--all', 'show every connection, subflow and address row (default: the 50 largest connections, 50 rows of each table)')
    .option('--attempts', `list every connection attempt nobody answered (default: listed only when there are at most ${ATTEMPTS_LISTED}, else counted in summary.attempts)`)
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
  mpcap analyze --csv out/ capture.pcap     # out/subflows.csv, out/series_subflow_rtt.csv, ...`,
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
  summary: ReadCaptureSummary;
  name: string;
}

/** One pass over a capture: decode, track, reduce. */
async function analyzeCapture(path: string, io: Pick<CliIo, 'stdin' | 'stderr'>, limit: number, progress: Progress | null): Promise<CaptureRun> {
  const analysis = new Analysis();
  const pipeline = analysis.pipeline;
  const summary = await runPipeline(path, pipeline, {
    stdin: io.stdin as NodeJS.ReadableStream,
    limit,
    ...(progress ? { afterFrame: (frame: Frame) => (progress.at(frame.fileOffset, pipeline.packets), true), afterChunk: () => progress.draw() } : {}),
  });
  progress?.done();
  return { analysis, summary, name: path === '-' ? '(standard input)' : path };
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
  const color = opts.output === undefined && !opts.json && useColor(io.stdout, io.env, opts.color);
  const reportOpts: ReportOptions = { listAttempts: opts.attempts === true };
  // a path that cannot be written is found before the capture is read
  const outStream = opts.output === undefined ? io.stdout : await openOutput(opts.output);
  if (opts.csv !== undefined) await prepareDirectory(opts.csv, '--csv');
  const runs: CaptureRun[] = [];
  let code: number = ExitCode.OK;
  for (const path of paths) {
    let size = 0;
    if (path !== '-') size = (await stat(path).catch(() => ({ size: 0 }))).size;
    const progress = Progress.maybe(io.stderr, io.env, size, path);
    const run = await analyzeCapture(path, io, limit, progress);
    runs.push(run);
    const fatal = run.summary.problems.find((p) => p.fatal);
    // the tables list the capture's warnings themselves: on stderr too they would be printed twice
    const inTables = opts.output === undefined && !opts.json;
    for (const p of run.summary.problems.slice(0, 10)) if (!inTables || p.fatal) io.stderr.write(`mpcap: ${path}: ${p.fatal ? 'error' : 'warning'}: ${p.message}\n`);
    if (fatal) {
      io.stderr.write(`mpcap: ${path}: the capture is damaged: the report covers the ${plural(run.summary.frames, 'packet')} before byte ${fatal.offset}\n`);
      code = ExitCode.DAMAGED;
    }
  }
  const generator = `mpcap ${version()}`;
  if (opts.csv !== undefined) {
    for (const run of runs) {
      const r = run.analysis.report(run.name, run.summary, generator, reportOpts);
      const dir = runs.length === 1 ? opts.csv : `${opts.csv}/${basename(r.capture.file).replace(/[^\w.-]/g, '_')}`;
      const names = await writeCsv(r, dir);
      io.stderr.write(`mpcap: wrote ${names.length} CSV files to ${join(dir, '')}\n`);
    }
  }
  const out = new OutputSink(outStream);
  if (opts.json) {
    await writeReportsJson(runs.map((run) => run.analysis.parts(run.name, run.summary, generator, reportOpts)), out);
  } else {
    for (const [i, run] of runs.entries()) {
      if (i > 0) out.write('\n');
      await renderReportParts(run.analysis.parts(run.name, run.summary, generator, reportOpts), { color, maxRows: opts.all ? Infinity : 50, width: tableWidth(io.stdout, io.env, opts.wide) }, (text) => out.write(text), () => out.drain());
    }
  }
  await out.end();
  if (opts.output !== undefined) await closeStream(outStream);
  return code;
}
