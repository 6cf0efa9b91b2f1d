/**
 * `mpcap dissect`: packets one by one, as tshark shows them (summary, -V tree, JSON, fields).
 */
import { plural } from '../analysis/plural.js';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Frame } from '../dissect/frame.js';
import { decodePacket, type Packet } from '../dissect/packet.js';
import type { MptcpOption } from '../dissect/mptcp.js';
import type { Segment } from '../dissect/segment.js';
import { FieldCells, FIELDS, nearestFields, type FieldDef } from '../analysis/fields.js';
import { packetJson } from '../analysis/packet-json.js';
import { entriesJson, packetTsharkEntries } from '../analysis/packet-tshark-json.js';
import { packetEk } from '../analysis/packet-ek.js';
import { packetTree, summaryLine } from '../analysis/packet-text.js';
import { relativeTime, type PacketView } from '../analysis/packet-view.js';
import { PacketState } from '../analysis/packet-state.js';
import type { TcpAnalysisResult } from '../analysis/tcp-analysis.js';
import type { DsnResult, ReinjectionContext } from '../analysis/mptcp-dsn.js';
import type { Connection, Side } from '../reassembly/model.js';
import { parsePacketCount, Pipeline, runPipeline } from '../analysis/pipeline.js';
import { mptcpAck, type MptcpTracker, type PacketInfo } from '../reassembly/tracker.js';
import type { SetExit } from './errors.js';
import { addHabitOptions, hexDump, parseStats, timeColumn, timeDigits, type HabitOptions, type TimeFormat } from './dissect-habits.js';
import { TsharkStats } from '../analysis/tshark-stats.js';
import { ExitCode, OutputSink, type CliIo } from './io.js';
import { UsageError } from './errors.js';
import { compileFilterOption } from './filter-option.js';
import { CaptureOutput } from './write-capture.js';

type Format = 'text' | 'json' | 'ndjson' | 'ek' | 'fields';

interface DissectOptions extends Partial<HabitOptions> {
  read?: string;
  count?: string;
  verbose?: boolean;
  format: string;
  field: string[];
  E: string[];
  problems: boolean;
  displayFilter?: string;
  write?: string;
}

function collect(value: string, prev: string[]): string[] {
  return [...prev, value];
}

export function registerDissect(program: Command, io: CliIo, setExit: SetExit): void {
  const dissect = program
    .command('dissect')
    .description('decode every packet: TCP and every MPTCP option (v0 and v1)')
    .argument('[files...]', "capture files (pcap or pcapng, optionally gzip-compressed; several are read as one capture, in time order); '-' for standard input")
    .option('-r, --read <file>', 'capture file to read (same as the argument)')
    .option('-c, --count <n>', 'stop after n packets')
    .option('-V, --verbose', 'show a tree of every field of each packet')
    .addOption(new Option('-T, --format <fmt>', "output format (ek: tshark's Elasticsearch bulk NDJSON)").choices(['text', 'json', 'ndjson', 'ek', 'fields']).default('text'))
    .option('-e, --field <name>', 'field to print with -T fields (repeatable; see `mpcap fields`)', collect, [])
    .option('-E <option>', 'fields output option, as tshark: header=y|n, separator=/t|/s|<char>, quote=d|s|n, aggregator=/s|<char> (repeatable)', collect, [])
    .option('--no-problems', 'do not print the summary of damaged packets on stderr')
    .option('-Y, --display-filter <filter>', "show only the packets that match this Wireshark display filter, e.g. 'mptcp.stream == 0 && tcp.len > 0'")
    .option('-w, --write <file>', "write the packets shown (after -Y and -c) to this pcap file instead of decoding them ('-' = standard output)")
    .addHelpText(
      'after',
      `
Examples:
  mpcap dissect capture.pcap
  mpcap dissect -V -c 3 capture.pcap
  mpcap dissect -T fields -E header=y -e frame.number -e tcp.stream -e tcp.options.mptcp.subtype capture.pcap
  mpcap dissect -T ndjson capture.pcap | jq -c 'select(.mptcp | length > 0) | .mptcp'
  mpcap dissect -T ek capture.pcap | curl -s -H 'Content-Type: application/x-ndjson' --data-binary @- localhost:9200/_bulk
  mpcap dissect -Y 'tcp.options.mptcp.subtype == 1 and ip.addr == 10.0.0.0/8' capture.pcap
  mpcap dissect -Y 'mptcp.stream in {0, 2}' -w two-connections.pcap capture.pcap
  mpcap dissect -T fields -e frame.number capture-*.pcap     # rotated files, read as one capture`,
    )
    .action(async (files: string[], opts: DissectOptions) => {
      setExit(await runDissect(files, opts, io));
    });
  addHabitOptions(dissect);
}

interface FieldsStyle {
  header: boolean;
  separator: string;
  quote: string;
  aggregator: string;
}

function parseE(list: string[]): FieldsStyle {
  const st: FieldsStyle = { header: false, separator: '\t', quote: '', aggregator: ',' };
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq < 0) throw new UsageError(`-E ${item}: expected name=value`);
    const k = item.slice(0, eq);
    const v = item.slice(eq + 1);
    const bad = (expected: string): never => {
      throw new UsageError(`-E ${item}: expected ${k}=${expected}`);
    };
    switch (k) {
      case 'header':
        if (v !== 'y' && v !== 'n') bad('y|n');
        st.header = v === 'y';
        break;
      case 'separator':
        if (v !== '/t' && v !== '/s' && [...v].length !== 1) bad('/t|/s|<one character>');
        st.separator = v === '/t' ? '\t' : v === '/s' ? ' ' : v;
        break;
      case 'quote':
        if (v !== 'd' && v !== 's' && v !== 'n') bad('d|s|n');
        st.quote = v === 'd' ? '"' : v === 's' ? "'" : '';
        break;
      case 'aggregator':
        if (v !== '/s' && [...v].length !== 1) bad('/s|<one character>');
        st.aggregator = v === '/s' ? ' ' : v;
        break;
      default:
        throw new UsageError(`-E ${k}: unknown fields option (header, separator, quote, aggregator)`);
    }
  }
  return st;
}

function parseCount(s: string | undefined): number {
  const n = parsePacketCount(s);
  if (n === null) throw new UsageError(`-c ${s}: expected a positive whole number of packets`);
  return n;
}

/** An MPTCP option of the segment was damaged (a loop: `some` with a closure is garbage per packet). */
function hasOptionProblem(seg: Segment): boolean {
  const list = seg.mptcp;
  for (let i = 0; i < list.length; i++) if ((list[i] as MptcpOption).problem !== null) return true;
  return false;
}

/** The view the printers read, reused: the full record and the relative time are made when first read. */
export class LazyView implements PacketView {
  frame!: Frame;
  seg!: Segment;
  tcpStream: number | null = null;
  mptcpStream: number | null = null;
  expectedToken: number | null = null;
  expectedIdsn: bigint | null = null;
  private decoded: Packet | null = null;
  private rel: string | null = null;
  private t0 = { tsSec: 0, tsNsec: 0 };
  private info!: PacketInfo;
  /** Set by runDissect: context tshark shows (time delta, TCP analysis) and the connections. */
  state = new PacketState(false);
  tracker: MptcpTracker | null = null;

  // made once, not per packet: what state.update() asks for only when it needs it
  private readonly pktFn = (): Packet => this.pkt;
  private readonly senderFn = (): Side | null => this.senderSide;
  private readonly reinjectionFn = (): ReinjectionContext | null => this.reinjectionContext;

  reset(frame: Frame, seg: Segment, info: PacketInfo, t0: { tsSec: number; tsNsec: number }): void {
    this.frame = frame;
    this.seg = seg;
    this.info = info;
    this.t0 = t0;
    this.decoded = null;
    this.rel = null;
    this.tcpStream = info.tcpStream;
    this.mptcpStream = info.mptcpStream;
    this.expectedToken = info.expectedToken;
    this.expectedIdsn = info.expectedIdsn;
    this.state.update(frame, seg, info, t0, this.pktFn, this.senderFn, this.reinjectionFn);
  }

  get deltaNs(): number {
    return this.state.deltaNs;
  }

  get tcp(): TcpAnalysisResult | null {
    return this.state.tcp;
  }

  get dsnAnalysis(): DsnResult | null {
    return this.state.dsn;
  }

  get connection(): Connection | null {
    return this.mptcpStream === null ? null : (this.tracker?.connections[this.mptcpStream] ?? null);
  }

  listedSubflow(tcpStream: number): boolean {
    const sub = this.tracker?.subflows[tcpStream];
    // tshark lists a subflow from its MP_CAPABLE, or from a 12-byte MP_JOIN (the SYN's, with the token)
    return sub !== undefined && (sub.kind === 'initial' || (sub.kind === 'join' && sub.join !== null && sub.join.nonceClient !== null));
  }

  get masterStream(): number | null {
    const c = this.connection;
    if (c === null || this.tracker === null) return null;
    for (const s of c.subflows) if (this.tracker.subflows[s]?.kind === 'initial') return s;
    return null;
  }

  get mptcpDirection(): { connection: number; fromClient: boolean; src: string; dst: string } | null {
    // the stream's connection, even on a packet without MPTCP options (tshark's tap counts those)
    const sub = this.info.subflow;
    if (sub === null || sub.connection === null || this.tracker === null) return null;
    const c = this.tracker.connections[sub.connection];
    if (c === undefined) return null;
    const side = this.tracker.state.side(c, sub, this.info.fromClient);
    // a v1 MP_CAPABLE SYN (no key yet) is not counted by tshark
    // (a join SYN is counted, though its sender's key is not known yet)
    if (side.key === null && (this.seg.flags & 0x12) === 0x02 && this.seg.mptcp.some((o) => o.subtype === 'MP_CAPABLE')) return null;
    // tshark throws in a malformed MPTCP option, before its tap
    if (this.seg.mptcp.some((o) => o.problem !== null)) return null;
    const client = this.tracker.state.role(sub, this.info.fromClient) === 'client';
    const ip = this.pkt.ips[this.pkt.ips.length - 1];
    if (c.clientEndpoint === null || c.serverEndpoint === null) return { connection: sub.connection, fromClient: client, src: ip?.src ?? '', dst: ip?.dst ?? '' };
    const [a, b] = client ? [c.clientEndpoint, c.serverEndpoint] : [c.serverEndpoint, c.clientEndpoint];
    return { connection: sub.connection, fromClient: client, src: a.addr, dst: b.addr };
  }

  /** The sender's MPTCP direction and the other subflows tshark lists, newest first (mptcp.reinjection_of). */
  get reinjectionContext(): ReinjectionContext | null {
    const c = this.connection;
    const sub = this.info.subflow;
    if (c === null || sub === null || this.tracker === null) return null;
    const others: number[] = [];
    for (let i = c.subflows.length - 1; i >= 0; i--) {
      const n = c.subflows[i] as number;
      if (n !== this.tcpStream && this.listedSubflow(n)) others.push(n);
    }
    return { meta: this.tracker.state.role(sub, this.info.fromClient), others };
  }

  get receiverKey(): bigint | null {
    const c = this.connection;
    const sub = this.info.subflow;
    if (c === null || sub === null || this.tracker === null) return null;
    return this.tracker.state.side(c, sub, !this.info.fromClient).key;
  }

  /** The sender's side of the MPTCP connection (its key, IDSN). */
  get senderSide(): Side | null {
    const c = this.connection;
    const sub = this.info.subflow;
    if (c === null || sub === null || this.tracker === null) return null;
    return this.tracker.state.side(c, sub, this.info.fromClient);
  }

  get senderDsnBase(): bigint | null {
    const side = this.senderSide;
    return side === null ? null : (side.idsn ?? (side.dsn64Seen ? 0n : null));
  }

  get dsn(): bigint | null {
    return this.info.dsn === null ? null : BigInt(this.info.dsn);
  }

  get dataAck(): bigint | null {
    return mptcpAck(this.info);
  }

  get pkt(): Packet {
    return (this.decoded ??= decodePacket(this.frame));
  }

  get relTime(): string {
    return (this.rel ??= relativeTime(this.frame.tsSec, this.frame.tsNsec, this.t0.tsSec, this.t0.tsNsec));
  }
}

export async function runDissect(files: string[], opts: DissectOptions, io: CliIo): Promise<number> {
  const path = opts.read !== undefined ? [opts.read, ...files] : files;
  if (path.length === 0) throw new UsageError('no capture file given (use a file name, -r FILE, or - for standard input)');
  if (path.filter((p) => p === '-').length > 1) throw new UsageError("standard input ('-') can be read only once");
  const filter = compileFilterOption(opts.displayFilter);
  const format = (opts.verbose && opts.format === 'text' ? 'text' : opts.format) as Format;
  const limit = parseCount(opts.count);
  const style = parseE(opts.E);
  let fieldDefs: FieldDef[] = [];
  if (format === 'fields') {
    if (opts.field.length === 0) throw new UsageError('-T fields needs at least one -e FIELD (see `mpcap fields`)');
    fieldDefs = opts.field.map((name) => {
      const def = FIELDS.get(name);
      if (!def) {
        const near = nearestFields(name);
        throw new UsageError(`unknown field '${name}'${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}: see \`mpcap fields\` for the list`);
      }
      return def;
    });
  } else if (opts.field.length > 0) {
    throw new UsageError('-e is only used with -T fields');
  }

  const capture = opts.write === undefined ? null : new CaptureOutput(opts.write, io.stdout);
  if (opts.tsharkLayout && format !== 'json' && format !== 'ndjson') throw new UsageError('--tshark-layout is only used with -T json or -T ndjson');
  const stats = opts.stat && opts.stat.length > 0 ? new TsharkStats(parseStats(opts.stat)) : null;
  const timeFmt = (opts.timeFormat ?? 'r') as TimeFormat;
  const out = new OutputSink(io.stdout);
  // The full record is decoded only for what needs it: the tree, JSON, the summary line, and the
  // fields that read more than the segment view holds (lazily, in LazyView).
  const pipeline = new Pipeline(false);
  pipeline.tracker.placeData = format !== 'fields' || fieldDefs.some((d) => d.name === 'mpcap.dsn') || (filter?.fields.includes('mpcap.dsn') ?? false);
  const view = new LazyView();
  const REINJECTION = ['mptcp.reinjection_of', 'mptcp.reinjected_in'];
  const reinjections = fieldDefs.some((d) => REINJECTION.includes(d.name)) || (filter?.fields.some((f) => REINJECTION.includes(f)) ?? false);
  const filterNeedsAnalysis = filter?.fields.some((f) => FIELDS.get(f)?.tcpAnalysis === true) ?? false;
  view.state = new PacketState(format !== 'fields' || fieldDefs.some((d) => d.tcpAnalysis === true) || filterNeedsAnalysis || reinjections, reinjections);
  view.tracker = pipeline.tracker;
  let seen = 0;
  let damaged = 0;
  const firstDamaged: string[] = [];
  const scratch = new FieldCells();
  const q = style.quote;
  if (format === 'fields' && style.header && capture === null) out.write(fieldDefs.map((d) => d.name).join(style.separator) + '\n');

  const print = (frame: Frame, seg: Segment, info: PacketInfo): void => {
    view.reset(frame, seg, info, pipeline.start as { tsSec: number; tsNsec: number });
    if (filter !== null && !filter.test(view)) return;
    if (capture !== null) {
      // as tshark -w: the packets go to the file, not decoded to the screen
      capture.write(frame);
      seen++;
      return;
    }
    if (seg.fast ? hasOptionProblem(seg) : view.pkt.problems.length > 0) {
      const pkt = view.pkt;
      damaged++;
      if (firstDamaged.length < 5) firstDamaged.push(`packet ${frame.number}: ${pkt.problems.map((p) => `${p.message} (byte ${p.offset})`).join('; ')}`);
    }
    stats?.add(view, view.state.timeNs);
    if (opts.quiet) {
      seen++;
      return;
    }
    switch (format) {
      case 'text': {
        let text = '';
        if (opts.verbose) text = packetTree(view) + '\n' + (opts.hex ? '\n' : '');
        else if (!opts.hex) text = summaryLine(view, timeColumn(timeFmt, frame, view.state.timeNs, view.state.deltaNs, view.state.timeNs - shownNs, digits.get(frame.interfaceId) ?? 6)) + '\n';
        if (opts.hex) text += hexDump(frame.data.subarray(0, frame.capLen));
        out.write(text);
        shownNs = view.state.timeNs;
        break;
      }
      case 'fields': {
        let line = '';
        for (let i = 0; i < fieldDefs.length; i++) {
          scratch.clear();
          (fieldDefs[i] as FieldDef).get(view, scratch);
          const val = scratch.join(style.aggregator);
          line += (i ? style.separator : '') + (q && val ? q + val + q : val);
        }
        out.write(line + '\n');
        break;
      }
      case 'json':
        // The '[' waits for the first packet: an input that is not a capture prints nothing.
        out.write((seen ? ',\n' : '[\n') + (opts.tsharkLayout ? entriesJson(packetTsharkEntries(view), 2) : JSON.stringify(packetJson(view), null, 2)));
        break;
      case 'ek':
        out.write(packetEk(view));
        break;
      case 'ndjson':
        out.write((opts.tsharkLayout ? entriesJson(packetTsharkEntries(view), null) : JSON.stringify(packetJson(view))) + '\n');
        break;
    }
    seen++;
    if (opts.lineBuffered) out.flush();
  };
  let shownNs = 0;
  const digits = new Map<number, number>();
  pipeline.subscribe({ packet: print });

  // The summary keeps the first problems and the fatal one: a file of millions of odd records
  // must not become millions of kept objects here.
  const summary = await runPipeline(path, pipeline, {
    stdin: io.stdin,
    limit,
    afterFrame: () => !out.closed,
    afterChunk: () => (capture ? capture.flush() : out.drain()),
    onInterface: (i) => {
      // tshark shows times at the capture's precision: 9 decimals for a nanosecond file
      digits.set(i.id, timeDigits(i.tsUnitsPerSec));
      capture?.interface(i);
    },
  });
  if (capture !== null) {
    await capture.end();
    if (capture.skipped > 0) {
      const f = capture.firstSkipped as { frame: number; linkType: number };
      io.stderr.write(`mpcap: -w: ${capture.skipped} packet${capture.skipped === 1 ? '' : 's'} left out (the first is packet ${f.frame}): link type ${f.linkType} differs from the file's, and one pcap file holds one link type\n`);
    }
    if (stats) io.stderr.write(stats.render());
  } else {
    if (format === 'json' && !opts.quiet) out.write(seen ? '\n]\n' : '[\n]\n');
    if (stats) out.write(stats.render());
    await out.end();
  }

  let code: number = ExitCode.OK;
  const { problems, fatal } = summary;
  for (const p of problems.slice(0, 10)) io.stderr.write(`mpcap: ${p.fatal ? 'error' : 'warning'}: ${p.message}\n`);
  if (summary.problemCount > 10) io.stderr.write(`mpcap: ... and ${plural(summary.problemCount - 10, 'more capture problem')}\n`);
  // The problem that stopped reading is the one that matters most: never hidden among the "more".
  if (fatal && problems.indexOf(fatal) >= 10) io.stderr.write(`mpcap: error: ${fatal.message}\n`);
  if (fatal) {
    io.stderr.write(`mpcap: the capture is damaged: ${plural(summary.frames, 'packet')} before byte ${fatal.offset} ${summary.frames === 1 ? 'was' : 'were'} read, the rest could not be\n`);
    code = ExitCode.DAMAGED;
  }
  if (damaged > 0 && opts.problems) {
    io.stderr.write(`mpcap: ${damaged} packet${damaged === 1 ? ' has' : 's have'} truncated or malformed headers or options:\n`);
    for (const d of firstDamaged) io.stderr.write(`  ${d}\n`);
    if (damaged > firstDamaged.length) io.stderr.write(`  ... (see them all with -V)\n`);
  }
  return code;
}
