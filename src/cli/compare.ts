/**
 * `mpcap compare A B`: two captures of the same MPTCP traffic (e.g. client side and server side)
 * matched connection by connection, subflow by subflow and packet by packet (src/compare).
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import { compareCaptures, DEFAULT_DUPLICATE_SEC, DEFAULT_MAX_PENDING, DEFAULT_WINDOW_SEC } from '../compare/run.js';
import { PacketCsv, writeCompareCsv } from '../compare/csv.js';
import { renderCompareText } from '../compare/render.js';
import { renderDelaySvg } from '../compare/plot.js';
import { writeCompareHtml } from '../report/compare-html.js';
import { unlink, writeFile } from 'node:fs/promises';
import type { SetExit } from './errors.js';
import { UsageError } from './errors.js';
import { closeStream, ExitCode, openOutput, OutputSink, type CliIo } from './io.js';
import { version } from './version.js';

interface CompareOpts {
  json?: boolean;
  csv?: string;
  output?: string;
  offset?: string;
  relative?: boolean;
  window?: string;
  maxPending?: string;
  svg?: string;
  report?: string;
}

export function registerCompare(program: Command, io: CliIo, setExit: SetExit): void {
  program
    .command('compare')
    .description('match two captures of the same traffic (client and server side): one-way delay, losses, reordering, reinjection outcome')
    .argument('<a>', 'first capture (side A)')
    .argument('<b>', 'second capture (side B)')
    .option('--json', 'print the result as JSON (schema: schema/compare.schema.json)')
    .option('-o, --output <file>', 'write the result to a file instead of standard output')
    .option('--csv <dir>', 'also write CSV tables, delay time series and packets.csv (one row per packet) into this directory')
    .option('--svg <file>', 'also draw the one-way delay of every path over time into this SVG file')
    .option('--report <file>', 'also write an HTML page (self-contained, offline): one-way delay per path over time, losses and reordering per path, data-level delay')
    .option('--offset <seconds>', "B's clock minus A's clock, in seconds (e.g. 0.0025): delays are absolute after correcting B's timestamps")
    .option('--relative', "clocks not synchronised: show each path's delays relative to its minimum (the clocks are aligned for matching on a SYN seen in both)")
    .option('--window <seconds>', `how long a packet waits for its copy in the other capture (default ${DEFAULT_WINDOW_SEC})`)
    .option('--max-pending <n>', `most packets waiting per side (default ${DEFAULT_MAX_PENDING})`)
    .addHelpText(
      'after',
      `
Subflows are matched by the client's ISN (the SYN seen on both sides), confirmed by the MPTCP keys
(initial subflows) and the MP_JOIN token (joins); without a SYN, by the 4-tuple. Addresses and ports
may differ between the sides (NAT). Packets are matched by TCP sequence number, payload length,
IPv4 ID, TSval and flags. Which capture is nearer the client is found from the handshake (the
SYN to SYN/ACK gap is larger near the client). A pair of 32 MiB or more is read in worker threads:
one per capture with three cores or more, one on two cores (the matching thread reads the other
capture); MPCAP_COMPARE_WORKERS=0, 1 or 2 sets how many (the result is the same).

Examples:
  mpcap compare client.pcap server.pcap
  mpcap compare --offset 0.0012 client.pcap server.pcap     # B's clock 1.2 ms ahead of A's
  mpcap compare --relative --json client.pcap server.pcap | jq '.connections[].subflows[].directions[].delay'
  mpcap compare --csv out/ client.pcap server.pcap           # out/subflows.csv, out/packets.csv, ...
  mpcap compare --svg delay.svg client.pcap server.pcap      # one-way delay per path over time
  mpcap compare --report cmp.html client.pcap server.pcap    # the same plot, per connection, in a page`,
    )
    .action(async (a: string, b: string, opts: CompareOpts) => {
      setExit(await runCompare(a, b, opts, io));
    });
}

function num(text: string | undefined, what: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || text.trim() === '') throw new UsageError(`${what} ${text}: expected a number${min > -Infinity ? ` >= ${min}` : ''}`);
  return n;
}

async function runCompare(a: string, b: string, opts: CompareOpts, io: CliIo): Promise<number> {
  if (a === '-' && b === '-') throw new UsageError('only one of the two captures can be standard input');
  const offset = num(opts.offset, '--offset', -Infinity);
  if (offset !== undefined && opts.relative) throw new UsageError('--offset and --relative exclude each other');
  const windowSec = num(opts.window, '--window', 0.001);
  const maxPending = num(opts.maxPending, '--max-pending', 1);
  const outStream = opts.output === undefined ? io.stdout : await openOutput(opts.output);
  // a page that cannot be written is found before the captures are read
  const reportStream = opts.report === undefined ? null : await openOutput(opts.report);
  let packets: PacketCsv | null = null;
  const offsetNs = Math.round((offset ?? 0) * 1e9);
  let baseOf: () => number = () => 0;
  if (opts.csv !== undefined) {
    const { mkdirSync } = await import('node:fs');
    try {
      mkdirSync(opts.csv, { recursive: true });
    } catch (e) {
      throw new UsageError(`--csv ${opts.csv}: ${(e as Error).message}`);
    }
    packets = new PacketCsv(join(opts.csv, 'packets.csv'), () => baseOf(), offsetNs);
  }
  let run;
  try {
    run = await compareCaptures(a, b, {
      offsetNs,
      relative: opts.relative === true,
      stdin: io.stdin as NodeJS.ReadableStream,
      ...(windowSec !== undefined ? { windowSec } : {}),
      ...(maxPending !== undefined ? { maxPending: Math.floor(maxPending) } : {}),
      duplicateSec: DEFAULT_DUPLICATE_SEC,
      ...(packets ? { sink: packets.sink, onMatcher: (m: { baseSeconds(): number }) => (baseOf = () => m.baseSeconds()) } : {}),
    });
  } catch (e) {
    // not a capture, unreadable: leave no empty page behind
    if (reportStream !== null && opts.report !== undefined) {
      await closeStream(reportStream).catch(() => {});
      await unlink(opts.report).catch(() => {});
    }
    throw e;
  }
  let code: number = ExitCode.OK;
  for (const [i, s] of run.summaries.entries()) {
    const name = i === 0 ? a : b;
    for (const p of s.problems.slice(0, 10)) io.stderr.write(`mpcap: ${name}: ${p.fatal ? 'error' : 'warning'}: ${p.message}\n`);
    if (s.problems.some((p) => p.fatal)) code = ExitCode.DAMAGED;
  }
  if (packets !== null && opts.csv !== undefined) {
    packets.close();
    const names = writeCompareCsv(run.result, opts.csv);
    io.stderr.write(`mpcap: wrote ${names.length + 1} CSV files to ${join(opts.csv, '')}\n`);
  }
  if (opts.svg !== undefined) {
    try {
      await writeFile(opts.svg, renderDelaySvg(run.result));
    } catch (e) {
      throw new UsageError(`--svg ${opts.svg}: ${(e as Error).message}`);
    }
  }
  const doc = { schemaVersion: 1, generator: `mpcap ${version()}`, ...run.result };
  if (reportStream !== null && opts.report !== undefined) {
    await writeCompareHtml(JSON.stringify(doc), { A: a, B: b, generator: doc.generator }, reportStream);
    await closeStream(reportStream);
    io.stderr.write(`mpcap: wrote ${opts.report}\n`);
  }
  const out = new OutputSink(outStream);
  if (opts.json) out.write(JSON.stringify(doc, null, 2) + '\n');
  else out.write(renderCompareText(run.result));
  await out.end();
  if (opts.output !== undefined) await closeStream(outStream);
  return code;
}
