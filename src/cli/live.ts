/**
 * `mpcap live`: follow MPTCP connections as they happen, from an interface (libpcap through the
 * optional `cap` binding) or from a capture being written to standard input.
 */
import { plural } from '../analysis/plural.js';
import { tableWidth } from './terminal.js';
import type { Command } from 'commander';
import { Option } from 'commander';
import { renderReportParts } from '../analysis/render-tables.js';
import { writeReportJsonLine } from '../analysis/report-json.js';
import { CaptureStartError, FilterError, openCapSource } from '../live/cap-source.js';
import type { TimePrecision } from '../live/pcap-writer.js';
import { LiveSession, type Display, type SessionResult } from '../live/session.js';
import type { PacketSource } from '../live/source.js';
import { StreamSource } from '../live/stream-source.js';
import type { SetExit } from './errors.js';
import { ExitCode, OutputSink, useColor, type CliIo } from './io.js';
import { CommandFailure, UsageError } from './errors.js';
import { version } from './version.js';

interface LiveOptions {
  interface?: string;
  read?: string;
  filter?: string;
  write?: string;
  interval: string;
  duration?: string;
  count?: string;
  json?: boolean;
  snaplen: string;
  bufferSize: string;
  timeStampPrecision: TimePrecision;
  color?: boolean;
  idleTimeout: string;
  keepClosed: string;
}

/** tcpdump's default snap length; cap's libpcap keeps at most 65535 of it (see cap-source.ts). */
const DEFAULT_SNAPLEN = '262144';
/**
 * libpcap ring buffer, KiB (tcpdump's -B unit). Large because cap opens libpcap with a 65535-byte
 * snap length in immediate mode: each ring slot takes ~64 KiB, so 64 MiB holds ~1000 packets,
 * enough to ride out the first packets' JIT warm-up (~60 ms) without kernel drops.
 */
const DEFAULT_BUFFER_KIB = '65536';
const MIN_SNAPLEN = 64;

export function registerLive(program: Command, io: CliIo, setExit: SetExit): void {
  program
    .command('live')
    .description('follow MPTCP connections live: capture on an interface, or read a capture as it is written')
    .argument('[expression...]', 'capture filter (BPF, as tcpdump takes it); the same as -f')
    .option('-i, --interface <iface>', "capture on this interface ('any' for all); needs root or CAP_NET_RAW")
    .option('-r, --read <file>', "read a pcap/pcapng stream as it is written: '-' for standard input (tcpdump -U -w - | mpcap live -r -)")
    .option('-f, --filter <bpf>', "capture filter, e.g. 'tcp port 5201' (default: every packet)")
    .option('-w, --write <file>', 'also write every captured packet to this pcap file (valid even when stopped with Ctrl-C)')
    .option('--interval <sec>', 'seconds between stats events and table redraws', '1')
    .option('--duration <sec>', 'stop after this many seconds')
    .option('-c, --count <n>', 'stop after n packets')
    .option('--json', 'NDJSON events on standard output, one per line, ending with {"event":"summary","report":…}')
    .option('--idle-timeout <sec>', 'close a connection with no packet for this long (capture time) as "idle"', '300')
    .option('--keep-closed <n>', 'closed connections kept for the final report; older ones are freed (counted in summary.releasedConnections)', '1000')
    .addOption(new Option('-s, --snaplen <bytes>', 'bytes kept of each packet: with -i the cap binding keeps at most 65535 of them; with -r, up to 262144').default(DEFAULT_SNAPLEN, 'all the source gives'))
    .option('-B, --buffer-size <KiB>', 'libpcap capture buffer size, KiB', DEFAULT_BUFFER_KIB)
    .addOption(new Option('--time-stamp-precision <p>', 'timestamps written by -w').choices(['micro', 'nano']).default('micro'))
    .option('--color', 'colour the output even when not on a terminal')
    .option('--no-color', 'never colour the output (NO_COLOR in the environment does the same)')
    .addHelpText(
      'after',
      `
Examples:
  sudo mpcap live -i any -f 'tcp port 5201'              a table of connections and subflows, redrawn every second
  sudo mpcap live -i eth0 --json -w out.pcap --duration 60 NDJSON events, and the packets into out.pcap
  tcpdump -i eth0 -U -w - tcp | mpcap live -r - --json    events from tcpdump's capture (kernel timestamps)

Without root: sudo setcap cap_net_raw,cap_net_admin=eip "$(readlink -f "$(which node)")"
Ctrl-C (or --duration, -c) ends the capture and prints the full report, as analyze does.`,
    )
    .action(async (expression: string[], opts: LiveOptions) => {
      setExit(await runLive(expression, opts, io));
    });
}

function positive(name: string, s: string, integer: boolean): number {
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new UsageError(`${name} ${s}: expected a positive ${integer ? 'whole ' : ''}number`);
  return n;
}

export async function runLive(expression: string[], opts: LiveOptions, io: CliIo): Promise<number> {
  if ((opts.interface === undefined) === (opts.read === undefined)) {
    throw new UsageError('give either -i IFACE (capture on an interface) or -r - (read a capture from standard input)');
  }
  if (opts.filter !== undefined && expression.length > 0) throw new UsageError('give the capture filter once: either with -f or after the options');
  const filter = opts.filter ?? expression.join(' ');
  if (opts.read !== undefined && filter !== '') {
    throw new UsageError('a capture filter applies to -i only: filter where the stream is made (tcpdump -U -w - tcp | mpcap live -r -)');
  }
  const intervalSec = positive('--interval', opts.interval, false);
  const durationSec = opts.duration === undefined ? null : positive('--duration', opts.duration, false);
  const limit = opts.count === undefined ? Infinity : positive('-c', opts.count, true);
  const snapLen = Math.max(MIN_SNAPLEN, positive('-s', opts.snaplen, true));
  const bufferBytes = positive('-B', opts.bufferSize, true) * 1024;
  const display: Display = opts.json ? 'json' : (io.stdout as { isTTY?: boolean }).isTTY === true ? 'screen' : 'lines';
  const color = !opts.json && useColor(io.stdout, io.env, opts.color);

  let source: PacketSource;
  let linkType: number | null = null;
  let fileSnapLen = snapLen;
  if (opts.interface !== undefined) {
    try {
      const cap = openCapSource({
        iface: opts.interface,
        filter,
        snapLen,
        bufferBytes,
        precision: opts.timeStampPrecision,
        moduleName: io.env.MPCAP_CAP_MODULE ?? 'cap',
      });
      linkType = cap.linkType;
      fileSnapLen = cap.snapLen;
      source = cap;
    } catch (e) {
      if (e instanceof CaptureStartError) throw new CommandFailure(e.message, ExitCode.CAPTURE);
      if (e instanceof FilterError) throw new UsageError(e.message);
      throw e;
    }
  } else {
    source = new StreamSource(opts.read as string, io.stdin);
  }

  const out = new OutputSink(io.stdout);
  let session: LiveSession;
  try {
    session = new LiveSession(source, out, {
      display,
      color,
      intervalSec,
      limit,
      idleTimeoutSec: positive('--idle-timeout', opts.idleTimeout, false),
      keepClosed: opts.keepClosed === '0' ? 0 : positive('--keep-closed', opts.keepClosed, true),
      write: opts.write === undefined ? null : { path: opts.write, precision: opts.timeStampPrecision, linkType, snapLen: fileSnapLen },
      rows: () => (io.stdout as { rows?: number }).rows ?? 24,
      generator: `mpcap ${version()}`,
    });
  } catch (e) {
    source.stop();
    const err = e as NodeJS.ErrnoException;
    throw new CommandFailure(`cannot write '${opts.write}': ${err.code === 'EACCES' ? 'permission denied' : err.code === 'ENOENT' ? 'no such directory' : err.message}`, ExitCode.CAPTURE);
  }

  let signals = 0;
  const onSignal = (): void => {
    signals++;
    if (signals > 1) io.stderr.write('mpcap: stopping (the summary is being written)\n');
    session.stop('signal');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const deadline = durationSec === null ? null : setTimeout(() => session.stop('duration'), durationSec * 1000);
  if (display !== 'json') io.stderr.write(`mpcap: ${opts.interface !== undefined ? `capturing on ${opts.interface}${filter ? ` (filter: ${filter})` : ''}` : `reading ${source.name}`}; Ctrl-C ends${opts.write ? `; writing ${opts.write}` : ''}\n`);
  let result: SessionResult;
  try {
    result = await session.run();
  } finally {
    if (deadline) clearTimeout(deadline);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const { stats } = result;
  if (display === 'json') {
    // the summary event's fields, then its report written piece by piece (the same line
    // JSON.stringify would give, without ever being one string)
    const head = JSON.stringify({
      event: 'summary',
      stopReason: result.stopReason,
      packets: result.packets,
      timestamps: source.timestamps,
      kernelDropped: stats.kernelDropped,
      ifDropped: stats.ifDropped,
      dropsNote: stats.dropsNote,
      truncated: stats.truncated,
    });
    out.write(head.slice(0, -1) + ',"report":');
    await writeReportJsonLine(result.report, out);
    out.write('}\n');
  } else {
    if (display === 'screen') out.write('\x1b[H\x1b[J');
    out.write('\n');
    await renderReportParts(result.report, { color, maxRows: 50, width: tableWidth(io.stdout, io.env, false) }, (text) => out.write(text), () => out.drain());
  }
  await out.end();

  io.stderr.write(`mpcap: ${result.packets} packet${result.packets === 1 ? '' : 's'} captured (${result.stopReason})\n`);
  if (stats.kernelDropped !== null) io.stderr.write(`mpcap: ${plural(stats.kernelDropped, 'packet')} dropped by the kernel${stats.ifDropped ? `, ${stats.ifDropped} by the interface` : ''}\n`);
  else if (stats.dropsNote && source.timestamps === 'wall-clock') io.stderr.write(`mpcap: drops not counted: ${stats.dropsNote}\n`);
  if (stats.truncated > 0) io.stderr.write(`mpcap: ${plural(stats.truncated, 'packet')} ${stats.truncated === 1 ? 'was' : 'were'} longer than the snap length (${fileSnapLen}) and were cut\n`);
  if (result.notWritten > 0) io.stderr.write(`mpcap: ${plural(result.notWritten, 'packet')} of another link type than the first were not written to ${opts.write}\n`);
  let code: number = ExitCode.OK;
  for (const p of result.end.problems.slice(0, 10)) io.stderr.write(`mpcap: ${p.fatal ? 'error' : 'warning'}: ${p.message}\n`);
  const fatal = result.end.problems.find((p) => p.fatal);
  // The problem that ended the stream is never hidden behind ten warnings.
  if (fatal && result.end.problems.indexOf(fatal) >= 10) io.stderr.write(`mpcap: error: ${fatal.message}\n`);
  if (fatal) code = ExitCode.DAMAGED;
  return code;
}
