/**
 * `mpcap live`: follow MPTCP connections as they happen, from an interface (libpcap through
 * mpcap's optional binding, native/libpcap) or from a capture being written to standard input.
 */
import { plural } from '../analysis/plural.js';
import { tableWidth } from './terminal.js';
import type { Command } from 'commander';
import { Option } from 'commander';
import { renderReportParts } from '../analysis/render-tables.js';
import { writeReportJsonLine } from '../analysis/report-json.js';
import { BINDING_MODULE, CaptureStartError, FilterError, openPcapSource } from '../live/pcap-source.js';
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

/**
 * libpcap's snap length: any IP packet (at most 64 KiB, also a GRO-merged one) with a link header
 * of up to 64 bytes. Smaller than tcpdump's 262144 because in immediate mode (TPACKET_V2) every
 * ring slot is as large as the snap length on 'any' (libpcap clamps it to the MTU on Ethernet
 * only): 262144 would make the default buffer hold 4 times fewer packets.
 */
const DEFAULT_SNAPLEN = String(65_536 + 64);
/**
 * libpcap ring buffer, KiB (tcpdump's -B unit). Large because libpcap in immediate mode (the
 * default) uses TPACKET_V2, whose ring slots are as large as the snap length (or the MTU, on
 * Ethernet): 64 MiB holds ~1000 packets of the default -s, enough to ride out the first packets'
 * JIT warm-up.
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
    .option('-s, --snaplen <bytes>', "bytes kept of each packet (libpcap's snap length with -i; with -r, up to 262144)", DEFAULT_SNAPLEN)
    .option('-B, --buffer-size <KiB>', 'libpcap capture buffer size, KiB (too small and the kernel drops packets: they are counted)', DEFAULT_BUFFER_KIB)
    .addOption(new Option('--time-stamp-precision <p>', "libpcap's timestamp precision with -i, and that of the -w file").choices(['micro', 'nano']).default('micro'))
    .option('--color', 'colour the output even when not on a terminal')
    .option('--no-color', 'never colour the output (NO_COLOR in the environment does the same)')
    .addHelpText(
      'after',
      `
Examples:
  sudo mpcap live -i any -f 'tcp port 5201'              a table of connections and subflows, redrawn every second
  sudo mpcap live -i eth0 --json -w out.pcap --duration 60 NDJSON events, and the packets into out.pcap
  tcpdump -i eth0 -U -w - tcp | mpcap live -r - --json    events from tcpdump's capture (kernel timestamps)
  sudo mpcap live -i any -B 262144 -s 128 --time-stamp-precision nano -w hdr.pcap
                                                         a 256 MiB ring, headers only, ns timestamps

Without root: sudo setcap cap_net_raw,cap_net_admin=eip "$(readlink -f "$(which node)")"
Packets the kernel dropped (libpcap's pcap_stats()) are counted in every stats event, the table's
header, the summary and on stderr; a larger -B is the remedy.
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
  let precision = opts.timeStampPrecision;
  if (opts.interface !== undefined) {
    try {
      const cap = openPcapSource({
        iface: opts.interface,
        filter,
        snapLen,
        bufferBytes,
        precision: opts.timeStampPrecision,
        moduleName: io.env.MPCAP_PCAP_MODULE ?? BINDING_MODULE,
      });
      linkType = cap.linkType;
      fileSnapLen = cap.snapLen;
      if (cap.precision !== precision) io.stderr.write(`mpcap: warning: libpcap offers no ${precision}second timestamps on '${opts.interface}': they are ${cap.precision}seconds\n`);
      precision = cap.precision;
      if (cap.warning !== '') io.stderr.write(`mpcap: warning: libpcap: ${cap.warning}\n`);
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
      write: opts.write === undefined ? null : { path: opts.write, precision, linkType, snapLen: fileSnapLen },
      rows: () => (io.stdout as { rows?: number }).rows ?? 24,
      generator: `mpcap ${version()}`,
      warn: (line) => io.stderr.write(`mpcap: warning: ${line}\n`),
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
      timestampPrecision: opts.interface !== undefined ? precision : null,
      kernelReceived: stats.received,
      kernelDropped: stats.kernelDropped,
      interfaceDropped: stats.ifDropped,
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
  // as tcpdump says it when it ends
  if (stats.kernelDropped !== null) io.stderr.write(`mpcap: ${stats.received ?? '?'} packets received by filter, ${stats.kernelDropped} packets dropped by kernel, ${stats.ifDropped ?? 0} packets dropped by interface\n`);
  else if (stats.dropsNote && opts.interface !== undefined) io.stderr.write(`mpcap: drops not counted: ${stats.dropsNote}\n`);
  if (stats.truncated > 0) io.stderr.write(`mpcap: ${plural(stats.truncated, 'packet')} ${stats.truncated === 1 ? 'was' : 'were'} longer than the snap length (${fileSnapLen}) and ${stats.truncated === 1 ? 'was' : 'were'} cut\n`);
  const lost = (stats.kernelDropped ?? 0) + (stats.ifDropped ?? 0);
  if (lost > 0) io.stderr.write(`mpcap: warning: the capture lost ${lost} packet${lost === 1 ? '' : 's'}: holes may be the capture's (a larger -B helps)\n`);
  if (result.notWritten > 0) io.stderr.write(`mpcap: ${plural(result.notWritten, 'packet')} of another link type than the first were not written to ${opts.write}\n`);
  let code: number = ExitCode.OK;
  for (const p of result.end.problems.slice(0, 10)) io.stderr.write(`mpcap: ${p.fatal ? 'error' : 'warning'}: ${p.message}\n`);
  const fatal = result.end.problems.find((p) => p.fatal);
  // The problem that ended the stream is never hidden behind ten warnings.
  if (fatal && result.end.problems.indexOf(fatal) >= 10) io.stderr.write(`mpcap: error: ${fatal.message}\n`);
  if (fatal) code = ExitCode.DAMAGED;
  return code;
}
