/**
 * One live run: frames from a source → decodePacket → MptcpTracker (the same pipeline as
 * `analyze`, packet by packet, synchronously in the source's callback) → events, the -w file,
 * periodic stats, and at the end the report `analyze --json` would give.
 *
 * Output is flushed once per batch of packets (a setImmediate scheduled by the first packet of a
 * batch), never per packet: NDJSON lines and -w records reach their destination as soon as the
 * batch the kernel handed over is decoded.
 */
import type { Frame } from '../dissect/frame.js';
import { Analysis } from '../analysis/analysis.js';
import type { ReportParts } from '../analysis/report.js';
import type { OutputSink } from '../analysis/output-sink.js';
import { LiveEvents, type LiveEvent } from './events.js';
import type { Connection } from '../reassembly/model.js';
import { PcapWriter, type TimePrecision } from './pcap-writer.js';
import { eventLine, renderScreen, statsLine } from './render.js';
import type { CaptureProblem } from '../dissect/capture/types.js';
import type { PacketSource, SourceEnd, SourceStats } from './source.js';
import { StatsBuilder, type StatsEvent } from './stats.js';
import { DropWindows, relabelHoles } from './drop-windows.js';

const PCAP_FILE_HEADER = 24;
const PCAP_RECORD_HEADER = 16;
/** A -w header when nothing was captured: an empty but valid file. */
const DEFAULT_LINKTYPE = 1;
const DEFAULT_SNAPLEN = 262_144;
const RECENT_EVENTS = 8;
/** Redraws a closed connection stays on the screen. */
const SCREEN_LINGER_REDRAWS = 30;

export type Display = 'json' | 'screen' | 'lines';

export interface SessionOptions {
  display: Display;
  color: boolean;
  /** Seconds between stats events / redraws. */
  intervalSec: number;
  /** Stop after this many packets. */
  limit: number;
  /** A connection with no packet for this long (capture time) is closed as idle. */
  idleTimeoutSec: number;
  /** Closed connections kept for the final report; past this the oldest are released. */
  keepClosed: number;
  write: { path: string; precision: TimePrecision; linkType: number | null; snapLen: number } | null;
  /** Terminal height, for the screen. */
  rows: () => number;
  generator: string;
  /** A line for stderr (without "mpcap: " and newline): when the capture starts losing packets. */
  warn: (line: string) => void;
}

export type StopReason = 'end of input' | 'signal' | 'duration' | 'count' | 'output closed';

export interface SessionResult {
  /** The report of what is held at the end, to be written (streamed) by the caller. */
  report: ReportParts;
  end: SourceEnd;
  stats: SourceStats;
  packets: number;
  stopReason: StopReason;
  /** Frames not written to -w because their link type differs from the file's. */
  notWritten: number;
}

const lost = (src: SourceStats): number => (src.kernelDropped ?? 0) + (src.ifDropped ?? 0);

/** The report's capture problem when libpcap counted drops. */
function lossProblem(lost: number, src: SourceStats, first: { frame: number; offset: number }): CaptureProblem {
  const parts = [src.kernelDropped ? `${src.kernelDropped} dropped by the kernel` : '', src.ifDropped ? `${src.ifDropped} by the interface` : ''].filter((x) => x !== '');
  return {
    kind: 'capture-drops',
    offset: first.offset,
    frame: first.frame,
    message:
      `the capture lost ${lost} packet${lost === 1 ? '' : 's'} (${parts.join(', ')}; libpcap's pcap_stats(), first seen by packet ${first.frame}): holes may be the capture's ` +
      '(those that fall where the drops happened are counted as capture gaps, notCapturedBytes)',
    fatal: false,
  };
}

export class LiveSession {
  private readonly analysis = new Analysis();
  private readonly tracker = this.analysis.tracker;
  /** Closed connections still held, oldest first; and those closed by the last packet, to release after it. */
  private readonly closed: Connection[] = [];
  private lastFrame = 0;
  private lastSweep = 0;
  private readonly stats: StatsBuilder;
  private writer: PcapWriter | null = null;
  private writerLinkType: number | null = null;
  private notWritten = 0;
  private packets = 0;
  private capturedBytes = 0;
  private stopReason: StopReason | null = null;
  /** Where losses were first seen (packet number and -w offset at that stats tick), null before. */
  private firstLoss: { frame: number; offset: number } | null = null;
  /** When drops happened (capture time), to name the holes that fall there capture gaps. */
  private readonly drops = new DropWindows();
  /** Capture time of the last packet (seconds since the first). */
  private lastTime = 0;
  private flushScheduled = false;
  private readonly recent: string[] = [];
  private readonly startMs = performance.now();
  private readonly flushBound = (): void => this.flush();

  constructor(
    private readonly source: PacketSource,
    private readonly out: OutputSink,
    private readonly opts: SessionOptions,
  ) {
    this.analysis.subscribe((e) => {
      if (e.type === 'connection-closed') this.closed.push(e.connection);
    });
    new LiveEvents(this.tracker, (e) => this.onEvent(e));
    this.stats = new StatsBuilder(this.tracker, this.startMs, opts.display === 'screen' ? SCREEN_LINGER_REDRAWS : 1);
    const w = opts.write;
    // Opened before the capture starts, so that a bad path fails first; the header is written now
    // when the link type is known (an interface), else with the first packet (a stream).
    if (w) {
      this.writer = new PcapWriter(w.path, w.precision);
      if (w.linkType !== null) this.beginWriter(w.linkType, w.snapLen);
    }
  }

  /** Ends the capture (Ctrl-C, --duration...): run() then finishes with the summary. */
  stop(reason: StopReason): void {
    if (this.stopReason === null) this.stopReason = reason;
    this.source.stop();
  }

  async run(): Promise<SessionResult> {
    const timer = setInterval(() => this.tick(), this.opts.intervalSec * 1000);
    let end: SourceEnd;
    try {
      end = await this.source.run((f) => this.onFrame(f));
    } finally {
      clearInterval(timer);
      this.flush();
      this.closeWriter();
    }
    const srcStats = this.source.stats();
    this.noticeLoss(srcStats);
    this.drops.finish(this.lastTime, lost(srcStats));
    const problems = [...end.problems];
    if (lost(srcStats) > 0 && this.firstLoss !== null) problems.push(lossProblem(lost(srcStats), srcStats, this.firstLoss));
    const parts = this.analysis.parts(
      this.source.name,
      {
        format: end.format,
        frames: this.packets,
        bytes: PCAP_FILE_HEADER + this.packets * PCAP_RECORD_HEADER + this.capturedBytes,
        capturedBytes: this.capturedBytes,
        stopped: this.stopReason !== null && this.stopReason !== 'end of input',
        problems,
        problemCount: end.problemCount + problems.length - end.problems.length,
        fatal: end.problems.find((p) => p.fatal) ?? null,
        interfaces: [],
        compressed: false,
      },
      this.opts.generator,
    );
    const report = this.drops.windows.length === 0 ? parts : this.withDropGaps(parts);
    return { report, end, stats: srcStats, packets: this.packets, stopReason: this.stopReason ?? 'end of input', notWritten: this.notWritten };
  }

  private onFrame(frame: Frame): boolean {
    if (this.stopReason !== null) return false;
    if (this.out.closed) {
      this.stop('output closed');
      return false;
    }
    const info = this.analysis.add(frame);
    this.packets++;
    this.capturedBytes += frame.capLen;
    if (this.writer) {
      if (this.writerLinkType === null) this.beginWriter(frame.linkType, DEFAULT_SNAPLEN);
      if (frame.linkType === this.writerLinkType) this.writer.write(frame.tsSec, frame.tsNsec, frame.origLen, frame.data);
      else this.notWritten++;
    }
    this.lastFrame = frame.number;
    this.lastTime = info.time;
    // idle connections are looked for as capture time goes by (a quarter of the timeout), so that
    // reading a long capture through `-r -` closes the same ones as watching it live
    if (info.time - this.lastSweep >= this.opts.idleTimeoutSec / 4) {
      this.lastSweep = info.time;
      this.tracker.closeIdle(info.time, this.opts.idleTimeoutSec, frame.number);
    }
    if (this.closed.length > this.opts.keepClosed) this.releaseClosed(info.time);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushBound);
    }
    if (this.packets >= this.opts.limit) {
      this.stop('count');
      return false;
    }
    return true;
  }

  private onEvent(e: LiveEvent): void {
    if (e.event === 'connection-opened') this.stats.opened(e.connection);
    else if (e.event === 'connection-closed') this.stats.closed(e.connection);
    switch (this.opts.display) {
      case 'json':
        this.out.write(JSON.stringify(e) + '\n');
        break;
      case 'lines':
        this.out.write(eventLine(e, this.opts.color) + '\n');
        break;
      case 'screen':
        this.recent.push(eventLine(e, this.opts.color));
        if (this.recent.length > RECENT_EVENTS) this.recent.shift();
        break;
    }
  }

  /** Free the oldest closed connections beyond what is kept: live memory stays bounded. */
  private releaseClosed(time: number): void {
    const drop = this.closed.length - this.opts.keepClosed;
    for (const conn of this.closed.splice(0, drop)) this.tracker.release(conn, this.lastFrame, time);
  }

  private tick(): void {
    const src = this.source.stats();
    this.noticeLoss(src);
    this.drops.tick(this.lastTime, lost(src));
    const s: StatsEvent = this.stats.build(performance.now(), this.packets, this.capturedBytes, src);
    switch (this.opts.display) {
      case 'json':
        this.out.write(JSON.stringify(s) + '\n');
        break;
      case 'lines':
        this.out.write(statsLine(s) + '\n');
        break;
      case 'screen':
        this.out.write('\x1b[H\x1b[J' + renderScreen(s, { color: this.opts.color, source: this.source.name.replace(/^live:/, ''), rows: this.opts.rows(), recent: this.recent }) + '\n');
        break;
    }
    this.out.flush();
  }

  /** The report, its holes that fall where drops happened named capture gaps (drop-windows.ts). */
  private withDropGaps(parts: ReportParts): ReportParts {
    const tracker = this.tracker;
    const drops = this.drops;
    return {
      ...parts,
      // (never lazy: the holes of a connection's text could not be relabelled)
      *connections(only?: ReadonlySet<number>, _lazy?: boolean, withSeries?: boolean) {
        for (const c of parts.connections(only, false, withSeries)) {
          const conn = tracker.connections[c.index];
          if (conn) relabelHoles(c, conn, drops);
          yield c;
        }
      },
    };
  }

  /** The first time libpcap counts a drop: say so at once (stderr), and remember where. */
  private noticeLoss(src: SourceStats): void {
    if (this.firstLoss !== null) return;
    const k = src.kernelDropped ?? 0;
    const i = src.ifDropped ?? 0;
    if (k + i === 0) return;
    this.firstLoss = { frame: this.lastFrame, offset: PCAP_FILE_HEADER + this.packets * PCAP_RECORD_HEADER + this.capturedBytes };
    const who = [k > 0 ? `the kernel dropped ${k}` : '', i > 0 ? `the interface dropped ${i}` : ''].filter((x) => x !== '').join(', ');
    this.opts.warn(
      `the capture is losing packets (${who}, by packet ${this.lastFrame}): holes from now on may be the capture's; ` +
        'a larger -B, a narrower -f filter or a smaller -s helps',
    );
  }

  private flush(): void {
    this.flushScheduled = false;
    this.writer?.flush();
    this.out.flush();
    // A slow reader of the events (a pager, a pipe): a stream source waits for it instead of
    // piling gigabytes of NDJSON into the output buffer.
    const backedUp = this.out.backedUp;
    if (backedUp !== null && this.source.pause && !this.paused) {
      this.paused = true;
      this.source.pause();
      void backedUp.then(() => {
        this.paused = false;
        this.source.resume?.();
      });
    }
  }

  private paused = false;

  private beginWriter(linkType: number, snapLen: number): void {
    this.writerLinkType = linkType;
    this.writer?.begin(linkType, snapLen);
  }

  private closeWriter(): void {
    if (!this.writer) return;
    if (this.writerLinkType === null) this.beginWriter(DEFAULT_LINKTYPE, DEFAULT_SNAPLEN);
    this.writer.close();
  }
}
