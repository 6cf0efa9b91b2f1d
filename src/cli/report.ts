/**
 * `mpcap report`: one self-contained HTML page per capture, with the plots (src/report/).
 */
import { spawn } from 'node:child_process';
import { mkdir, stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { Analysis } from '../analysis/analysis.js';
import type { Frame } from '../dissect/frame.js';
import { parsePacketCount, runPipeline } from '../analysis/pipeline.js';
import { PlotCollector } from '../report/collect.js';
import { MAX_PLOT_POINTS, writeReportHtml } from '../report/html.js';
import { selectConnections } from '../report/select.js';
import { buildSelection, FilterMatches } from '../filter/select.js';
import { LazyView } from './dissect.js';
import { compileFilterOption } from './filter-option.js';
import type { SetExit } from './errors.js';
import { UsageError } from './errors.js';
import { closeStream, ExitCode, openOutput, type CliIo } from './io.js';
import { Progress } from './progress.js';
import { version } from './version.js';

interface ReportCmdOptions {
  output?: string;
  count?: string;
  top: string;
  connection: string[];
  displayFilter?: string;
  open?: boolean;
}

/** Default number of connections given a detail section. */
export const DEFAULT_TOP = 5;

/** Sliding window of the throughput and goodput plot. */
const THROUGHPUT_WINDOW_SEC = 0.1;

const collect = (v: string, acc: string[]): string[] => [...acc, v];

export function registerReport(program: Command, io: CliIo, setExit: SetExit): void {
  program
    .command('report')
    .description('write one self-contained HTML page per capture: overview, tables and plots of each connection')
    .argument('<files...>', "capture files (pcap or pcapng, optionally gzip-compressed); '-' for standard input")
    .option('-o, --output <path>', 'the page to write (one capture), or a directory to write one page per capture into (default: NAME.html in the current directory)')
    .option('-c, --count <n>', 'stop after n packets')
    .option('--top <n>', 'detail sections for the n connections with the most payload bytes', String(DEFAULT_TOP))
    .option('--connection <index>', 'a detail section for this connection (mptcp.stream, as in analyze); repeatable', collect, [])
    .option('-Y, --display-filter <filter>', 'keep only the connections that have at least one packet matching this Wireshark display filter (as analyze -Y)')
    .option('--open', 'open the page in the desktop browser when done')
    .addHelpText(
      'after',
      `
Examples:
  mpcap report capture.pcap -o report.html
  mpcap report --top 1 --connection 7 capture.pcapng.gz -o report.html
  mpcap report a.pcap b.pcap -o reports/      # reports/a.html, reports/b.html
  mpcap report -Y 'ip.addr == 10.0.2.0/24' capture.pcap -o report.html   # the connections that used that network`,
    )
    .action(async (files: string[], opts: ReportCmdOptions) => {
      setExit(await runReport(files, opts, io));
    });
}

function wholeNumber(text: string, what: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${what} ${text}: expected a whole number${min > 0 ? ' of at least 1' : ''}`);
  return n;
}

/** Where each capture's page goes. */
async function outputPaths(files: string[], output: string | undefined): Promise<string[]> {
  const pageName = (f: string): string => (f === '-' ? 'report.html' : `${basename(f).replace(/\.(pcap|pcapng|cap)(\.gz)?$/i, '').replace(/[^\w.-]/g, '_') || 'report'}.html`);
  if (output === undefined) return files.map(pageName);
  const isDir = output.endsWith('/') || (await stat(output).then((s) => s.isDirectory(), () => false));
  if (!isDir && files.length === 1) return [output];
  if (!isDir) throw new UsageError(`-o ${output}: with ${files.length} captures, -o names a directory (one page per capture is written into it)`);
  await mkdir(output, { recursive: true });
  const names = files.map(pageName);
  // two captures of the same name: number the later ones
  return names.map((n, i) => join(output, names.indexOf(n) === i ? n : n.replace(/\.html$/, `-${i + 1}.html`)));
}

async function runReport(files: string[], opts: ReportCmdOptions, io: CliIo): Promise<number> {
  const limit = parsePacketCount(opts.count);
  if (limit === null) throw new UsageError(`-c ${opts.count}: expected a positive whole number of packets`);
  const top = wholeNumber(opts.top, '--top', 0);
  const asked = opts.connection.map((c) => wholeNumber(c, '--connection', 0));
  const filter = compileFilterOption(opts.displayFilter);
  const outs = await outputPaths(files, opts.output);
  let code: number = ExitCode.OK;
  for (const [i, path] of files.entries()) {
    const target = outs[i] as string;
    // a path that cannot be written is found before the capture is read
    const stream = await openOutput(target);
    const analysis = new Analysis({ plots: true });
    const collector = new PlotCollector(analysis.tracker);
    analysis.pipeline.subscribe(collector);
    const matches = filter === null ? null : new FilterMatches(filter, new LazyView(), analysis.pipeline);
    if (matches !== null) analysis.pipeline.subscribe(matches);
    const size = path === '-' ? 0 : (await stat(path).catch(() => ({ size: 0 }))).size;
    const progress = Progress.maybe(io.stderr, io.env, size, path);
    const pipeline = analysis.pipeline;
    let summary;
    try {
      summary = await runPipeline(path, pipeline, {
        stdin: io.stdin as NodeJS.ReadableStream,
        limit,
        ...(progress ? { afterFrame: (frame: Frame) => (progress.at(frame.fileOffset, pipeline.packets), true), afterChunk: () => progress.draw() } : {}),
      });
    } catch (e) {
      // not a capture, unreadable: leave no empty page behind
      await closeStream(stream).catch(() => {});
      await unlink(target).catch(() => {});
      throw e;
    }
    progress?.done();
    const fatal = summary.problems.find((p) => p.fatal);
    for (const p of summary.problems.slice(0, 10)) io.stderr.write(`mpcap: ${path}: ${p.fatal ? 'error' : 'warning'}: ${p.message}\n`);
    if (fatal) {
      io.stderr.write(`mpcap: ${path}: the capture is damaged: the report covers the ${summary.frames} packets before byte ${fatal.offset}\n`);
      code = ExitCode.DAMAGED;
    }
    // -Y keeps the connections with a matching packet: in the tables and among the detail sections
    const selection = buildSelection(analysis.tracker, { matches, connections: [], subflows: [] });
    const parts = analysis.parts(path === '-' ? '(standard input)' : path, summary, `mpcap ${version()}`, selection === null ? {} : { selection });
    const sel = selectConnections(parts, { top, connections: asked });
    if (sel.missing.length > 0) {
      await closeStream(stream);
      await unlink(target).catch(() => {});
      const why = selection === null ? `not a connection of ${path} (see mpcap analyze ${path})` : `not among the connections of ${path} that -Y keeps (see mpcap analyze -Y '${filter?.text ?? ''}' ${path})`;
      throw new UsageError(`--connection ${sel.missing.join(', ')}: ${why}`);
    }
    const details = sel.indices.map((idx) => {
      const conn = analysis.tracker.connections[idx];
      if (conn === undefined) throw new Error(`connection ${idx} vanished`);
      return collector.json(conn, analysis.stats, MAX_PLOT_POINTS);
    });
    await writeReportHtml(parts, { version: 1, maxPoints: MAX_PLOT_POINTS, throughputWindowSec: THROUGHPUT_WINDOW_SEC, details, selection: sel.description }, stream);
    await closeStream(stream);
    io.stderr.write(`mpcap: wrote ${target}\n`);
    if (opts.open) openInBrowser(target, io);
  }
  return code;
}

function openInBrowser(file: string, io: CliIo): void {
  if (process.platform === 'linux' && !io.env.DISPLAY && !io.env.WAYLAND_DISPLAY) {
    io.stderr.write(`mpcap: --open: no desktop here (DISPLAY is not set): open ${file} in a browser\n`);
    return;
  }
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(cmd, [file], { detached: true, stdio: 'ignore' });
  child.on('error', () => io.stderr.write(`mpcap: --open: could not run ${cmd}: open ${file} in a browser\n`));
  child.unref();
}
