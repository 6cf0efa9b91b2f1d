/**
 * Per-subflow figures, computed in the same single pass as everything else (a reducer over each
 * packet and what src/reassembly said of it): retransmitted bytes, RTT, cumulative bytes.
 *
 * RTT, as Wireshark's tcp.analysis.ack_rtt: an ACK whose number is exactly the end of a data
 * segment (or SYN/FIN) still unacknowledged gives one sample, the time since that segment; a
 * segment sent more than once gives none (Karn's rule). RTT from TCP timestamps is kept apart: an
 * echoed TSval gives a sample the first time it is echoed.
 */
import type { Frame } from '../dissect/frame.js';
import type { Segment } from '../dissect/segment.js';
import { TcpFlag } from '../dissect/tcp.js';
import type { PacketInfo } from '../reassembly/tracker.js';
import { asInt32, seqDiff } from '../reassembly/seq.js';
import type { Clock } from '../reassembly/clock.js';
import { EndpointTable } from './endpoints.js';
import type { PacketSubscriber } from './pipeline.js';
import { Samples, Series } from './series.js';
import { TsvalRing } from './tsval-ring.js';
import { UnackedSegments } from './unacked.js';

/** Sequence ranges remembered per direction to tell a retransmission from a reordered segment. */
const MAX_RANGES = 256;

export class DirectionStats {
  /** Sequence space seen so far, as unwrapped offsets from the first segment: merged [start, end). */
  ranges: Array<[number, number]> = [];
  firstSeq: number | null = null;
  /** Unwrapped offset of the last segment's sequence number (to follow 32-bit wrap). */
  lastOff = 0;
  lastSeq = 0;

  /** Bytes of [seq, seq+len) seen before; records the range. */
  overlapAndAdd(seq: number, len: number): number {
    if (this.firstSeq === null) {
      this.firstSeq = seq;
      this.lastSeq = seq;
    }
    const start = this.lastOff + seqDiff(seq, this.lastSeq);
    this.lastOff = start;
    this.lastSeq = seq;
    const end = start + len;
    let overlap = 0;
    const r = this.ranges;
    // the common case: the next segment in order extends the last range in place
    const last = r[r.length - 1];
    if (last !== undefined && start === last[1]) {
      last[1] = end;
      return 0;
    }
    if (last === undefined) {
      this.ranges = [[start, end]]; // exactly sized (a push would make room for 17)
      return 0;
    }
    let i = r.length;
    while (i > 0 && (r[i - 1] as [number, number])[0] > start) i--;
    // i: first range starting after `start`; the one before may overlap too
    const lo = i > 0 && (r[i - 1] as [number, number])[1] >= start ? i - 1 : i;
    let hi = lo;
    let ns = start;
    let ne = end;
    while (hi < r.length && (r[hi] as [number, number])[0] <= end) {
      const [a, b] = r[hi] as [number, number];
      overlap += Math.max(0, Math.min(b, end) - Math.max(a, start));
      ns = Math.min(ns, a);
      ne = Math.max(ne, b);
      hi++;
    }
    r.splice(lo, hi - lo, [ns, ne]);
    if (r.length > MAX_RANGES) r.shift();
    return overlap;
  }
  retransmittedBytes = 0;
  retransmittedSegments = 0;
  readonly unacked = new UnackedSegments();
  /** TSvals sent awaiting their echo, for timestamp RTT (made at the first timestamp option). */
  tsSent: TsvalRing | null = null;
}

/** Where an RTT sample is read: the ring that measured it (UnackedSegments, TsvalRing). */
export interface RttSample {
  /** The last sample, in µs. */
  readonly sampleUs: number;
}

// Read by subflows that have none of their own; never added to.
const NO_SAMPLES = new Samples();
const NO_SERIES = new Series();

/**
 * Each sample set and series is made when its first value comes: most subflows of a flood have
 * two RTT samples, no timestamps and no payload.
 */
export class SubflowStats {
  readonly dir: [DirectionStats, DirectionStats] = [new DirectionStats(), new DirectionStats()];
  private rttSamples: Samples | null = null;
  private rttTsSamples: Samples | null = null;
  private rttPoints: Series | null = null;
  private rttTsPoints: Series | null = null;
  private cumulativePoints: Series | null = null;
  cumulativeBytes = 0;

  /** `rttTsSeries` is kept only when asked (the HTML report draws it; analyze --json has no such series). */
  constructor(private readonly keepRttTsSeries = false) {}

  get rtt(): Samples {
    return this.rttSamples ?? NO_SAMPLES;
  }
  get rttTs(): Samples {
    return this.rttTsSamples ?? NO_SAMPLES;
  }
  get rttSeries(): Series {
    return this.rttPoints ?? NO_SERIES;
  }
  /** RTT from TCP timestamps over time (drawn by `report`; not in analyze --json): empty unless kept. */
  get rttTsSeries(): Series {
    return this.rttTsPoints ?? NO_SERIES;
  }
  get cumulative(): Series {
    return this.cumulativePoints ?? NO_SERIES;
  }

  /** `from`'s sample, taken at `at.time` (both read here: a double argument is boxed, clock.ts). */
  addRtt(at: Clock, from: RttSample): void {
    const us = from.sampleUs;
    (this.rttSamples ??= new Samples()).add(us);
    (this.rttPoints ??= new Series(0.001)).push(at.time, us);
  }

  addRttTs(at: Clock, from: RttSample): void {
    const us = from.sampleUs;
    (this.rttTsSamples ??= new Samples()).add(us);
    if (this.keepRttTsSeries) (this.rttTsPoints ??= new Series(0.001)).push(at.time, us);
  }

  addPayload(at: Clock, len: number): void {
    this.cumulativeBytes += len;
    (this.cumulativePoints ??= new Series(0.001)).push(at.time, this.cumulativeBytes);
  }
}

export class StatsReducer implements PacketSubscriber {
  readonly subflows: SubflowStats[] = [];
  /** Packets and frame bytes per IP address (as source or destination), as Wireshark's Endpoints. */
  readonly endpoints = new EndpointTable();
  totalPackets = 0;
  ipPackets = 0;

  /** `keepRttTsSeries`: each subflow keeps its timestamp RTT series (for the HTML report). */
  constructor(private readonly keepRttTsSeries = false) {}

  packet(frame: Frame, tcp: Segment, info: PacketInfo): void {
    this.totalPackets++;
    if (info.srcKey >= 0) {
      this.ipPackets++;
      this.endpoints.add(info.srcKey, info.dstKey, frame.origLen);
    }
    const sub = info.subflow;
    if (!sub || info.tcpStream === null) return;
    let st = this.subflows[info.tcpStream];
    if (!st) {
      st = new SubflowStats(this.keepRttTsSeries);
      this.subflows[info.tcpStream] = st;
    }
    if (info.deferredSyn !== null) this.replaySyn(st, info.deferredSyn);
    const d = info.fromClient ? 0 : 1;
    const fwd = st.dir[d];
    const rev = st.dir[d === 0 ? 1 : 0];
    const syn = (tcp.flags & TcpFlag.SYN) !== 0;
    const fin = (tcp.flags & TcpFlag.FIN) !== 0;
    const segLen = tcp.payloadLen + (syn ? 1 : 0) + (fin ? 1 : 0);
    // 32-bit numbers go on as int32 (seq.ts: asInt32)
    const seq = asInt32(tcp.seq);

    if (tcp.payloadLen > 0) st.addPayload(info, tcp.payloadLen);
    if (segLen > 0) {
      const end = asInt32(seq + segLen);
      // A retransmission carries sequence space seen before; a reordered segment does not.
      const overlap = fwd.overlapAndAdd(seq, segLen);
      const retrans = overlap > 0;
      if (retrans) {
        fwd.retransmittedBytes += Math.min(overlap, tcp.payloadLen);
        fwd.retransmittedSegments++;
      }
      if (retrans) fwd.unacked.markRetransmitted(seq, end);
      else fwd.unacked.push(seq, end, info);
    }
    if (tcp.flags & TcpFlag.ACK) {
      if (rev.unacked.ack(asInt32(tcp.ack), info)) st.addRtt(info, rev.unacked);
    }
    if (tcp.hasTimestamps) {
      (fwd.tsSent ??= new TsvalRing()).sent(asInt32(tcp.tsVal), info);
      if (tcp.flags & TcpFlag.ACK && rev.tsSent !== null && rev.tsSent.echoed(asInt32(tcp.tsEcr), info)) st.addRttTs(info, rev.tsSent);
    }
  }

  /** Forget the figures of these subflows (their connection was released). */
  release(tcpStreams: readonly number[]): void {
    for (const s of tcpStreams) delete this.subflows[s];
  }

  /** The SYN the tracker only counted (PacketInfo.deferredSyn), as packet() would have seen it. */
  private replaySyn(st: SubflowStats, syn: NonNullable<PacketInfo['deferredSyn']>): void {
    const c = st.dir[0];
    const seq = asInt32(syn.seq);
    c.overlapAndAdd(seq, 1);
    c.unacked.push(seq, asInt32(seq + 1), syn);
    if (syn.tsVal !== null) (c.tsSent ??= new TsvalRing()).sent(asInt32(syn.tsVal), syn);
  }
}
