/**
 * The one driver every command uses: frames (from a file, a stream or an interface) → decode →
 * track (src/reassembly) → subscribers. Commands differ only in their subscribers and in whether
 * they need the full decoded record (`dissect` prints every field; the others need only the
 * segment view). The time origin and `-c` live here, once.
 */
import { readCaptures, type MergedSummary } from '../dissect/capture/merge.js';
import type { ReadCaptureOptions } from '../dissect/capture/source.js';
import type { Frame } from '../dissect/frame.js';
import { decodePacket, type Packet } from '../dissect/packet.js';
import { decodeSegment, Segment, segmentFromPacket } from '../dissect/segment.js';
import { MptcpTracker, type PacketInfo } from '../reassembly/tracker.js';

/** Sees every frame once, after the tracker: `pkt` is the full record when the pipeline was asked for it. */
export interface PacketSubscriber {
  packet(frame: Frame, seg: Segment, info: PacketInfo, pkt: Packet | null): void;
}

export class Pipeline {
  readonly tracker = new MptcpTracker();
  /** Timestamp of the first frame (the origin of every relative time). */
  start: { tsSec: number; tsNsec: number } | null = null;
  /** Seconds from the first frame to the latest one. */
  lastTime = 0;
  packets = 0;
  /** The segment view of the latest frame (reused). */
  readonly segment = new Segment();
  /** The latest frame's time, handed to the tracker in an object (see reassembly/clock.ts). */
  private readonly clock = { time: 0 };
  private readonly subscribers: PacketSubscriber[] = [];

  constructor(private readonly fullDecode = false) {}

  subscribe(s: PacketSubscriber): void {
    this.subscribers.push(s);
  }

  /** Decode, track and hand on one frame; what the tracker said (valid until the next call). */
  add(frame: Frame): PacketInfo {
    let start = this.start;
    if (start === null) start = this.start = { tsSec: frame.tsSec, tsNsec: frame.tsNsec };
    const time = frame.tsSec - start.tsSec + (frame.tsNsec - start.tsNsec) / 1e9;
    if (time > this.lastTime) this.lastTime = time;
    this.packets++;
    const seg = this.segment;
    let pkt: Packet | null = null;
    if (this.fullDecode) {
      pkt = decodePacket(frame);
      segmentFromPacket(pkt, seg);
    } else {
      decodeSegment(frame, seg);
    }
    this.clock.time = time;
    const info = this.tracker.process(seg, this.clock);
    const subs = this.subscribers;
    for (let i = 0; i < subs.length; i++) (subs[i] as PacketSubscriber).packet(frame, seg, info, pkt);
    return info;
  }
}

export interface RunOptions extends Omit<ReadCaptureOptions, 'stdin'> {
  stdin: NodeJS.ReadableStream;
  /** Stop after this many packets (-c). */
  limit?: number;
  /** Called after each frame, e.g. to stop early (return false) or to draw progress. */
  afterFrame?: (frame: Frame) => boolean;
}

/** Read a capture (or several files as one, in time order: see merge.ts) through the pipeline. */
export async function runPipeline(path: string | readonly string[], pipeline: Pipeline, opts: RunOptions): Promise<MergedSummary> {
  const limit = opts.limit ?? Infinity;
  const after = opts.afterFrame;
  const onFrame = (frame: Frame): boolean => {
    pipeline.add(frame);
    if (after && !after(frame)) return false;
    return pipeline.packets < limit;
  };
  return readCaptures(typeof path === 'string' ? [path] : path, onFrame, opts);
}

/** `-c N`: a positive whole number, or Infinity when not given; null when it is not one. */
export function parsePacketCount(text: string | undefined): number | null {
  if (text === undefined) return Infinity;
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 ? n : null;
}
