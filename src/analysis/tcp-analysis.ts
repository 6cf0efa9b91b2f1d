/**
 * What Wireshark's TCP sequence analysis says of each packet, for `dissect` (fields and summary
 * line): relative sequence and acknowledgment numbers (tcp.seq, tcp.ack, tcp.nxtseq), the scaled
 * window (tcp.window_size), the ACK RTT (tcp.analysis.ack_rtt), bytes in flight and
 * retransmissions, as tshark 4.0 computes them in one pass (packet-tcp.c,
 * tcp_analyze_sequence_number), so that the values are the same cell by cell.
 *
 * This follows tshark on purpose, not the RFCs: the RTT here is not Karn's (analyze's is), and a
 * retransmission is what tshark's heuristics call one. Only `dissect` runs it.
 */
import { TcpFlag } from '../dissect/tcp.js';
import { seqBefore } from '../reassembly/seq.js';

/** A segment not yet acknowledged (tshark's tcp_unacked_t). Absolute sequence numbers. */
interface Unacked {
  frame: number;
  seq: number;
  nextSeq: number;
  timeNs: number;
}

/** One direction of a stream (tshark's tcp_flow_t and its tcp_analyze_seq_info). */
class Flow {
  baseSeq = 0;
  baseSet = false;
  /** The base was set by a SYN (tshark's TCP_S_SAW_SYN / SAW_SYNACK). */
  sawSyn = false;
  /** Window scale shift from this side's SYN: -1 not known, -2 known not to be used. */
  winScale = -1;
  nextSeq = 0;
  nextSeqTimeNs = 0;
  maxSeqToBeAcked = 0;
  lastAck = 0;
  lastAckTimeNs = 0;
  window = 0;
  dupAcks = 0;
  /** Bytes in flight are shown once the other side has acknowledged something since a hole. */
  validBif = true;
  lastKeepAlive = false;
  /** The SACK blocks of this side's latest segment that had any (at most 3, as tshark keeps). */
  sackBytes = 0;
  /** Newest first, as tshark's list. */
  segments: Unacked[] = [];
}

class StreamState {
  readonly a = new Flow();
  readonly b = new Flow();
  /** The handshake's RTT (tcp.analysis.initial_rtt), ns; 0 until known. */
  firstRttNs = 0;
  lastSynNs = -1;
}

/** What the analysis says of one packet. Reused: valid until the next packet. */
export interface TcpAnalysisResult {
  seq: number;
  ack: number;
  nextSeq: number;
  windowSize: number;
  /** Frame the ACK acknowledges, and the time since it (ns); 0 when none. */
  acksFrame: number;
  ackRttNs: number;
  /** Bytes in flight after this segment; 0 when tshark shows none. */
  bytesInFlight: number;
  /** Any of tshark's retransmission, fast retransmission, spurious retransmission. */
  retransmission: boolean;
  /** This direction's handshake segment was seen (tshark's relative numbers count from it). */
  synSeen: boolean;
}

const lt = (a: number, b: number): boolean => seqBefore(a, b);
const gt = (a: number, b: number): boolean => seqBefore(b, a);
const u32 = (n: number): number => n >>> 0;
const NO_SYN_FIN_RST = TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST;

export class TcpAnalyzer {
  private readonly streams = new Map<number, StreamState>();
  readonly result: TcpAnalysisResult = { seq: 0, ack: 0, nextSeq: 0, windowSize: 0, acksFrame: 0, ackRttNs: 0, bytesInFlight: 0, retransmission: false, synSeen: false };

  /**
   * `fromA` says which direction the packet goes (any rule that is the same for every packet of
   * the stream); `winShift` is the SYN's window scale option (null when it has none); `sack` the
   * bytes its SACK blocks cover (null without SACK); `timeNs` the time since the first frame.
   */
  process(stream: number, fromA: boolean, frame: number, timeNs: number, seq: number, ack: number, flags: number, window: number, seglen: number, winShift: number | null, sack: number | null): TcpAnalysisResult {
    let st = this.streams.get(stream);
    if (!st) this.streams.set(stream, (st = new StreamState()));
    const fwd = fromA ? st.a : st.b;
    const rev = fromA ? st.b : st.a;
    const r = this.result;
    const syn = (flags & TcpFlag.SYN) !== 0;
    const fin = (flags & TcpFlag.FIN) !== 0;
    const hasAck = (flags & TcpFlag.ACK) !== 0;
    r.acksFrame = 0;
    r.ackRttNs = 0;
    r.bytesInFlight = 0;
    r.retransmission = false;

    // Relative numbers (a SYN is 0; without it the first segment seen is 1), and the handshake RTT.
    // a SYN always sets it: a new ISN on a reused 4-tuple counts from 0 again
    if (!fwd.baseSet || syn) {
      // only the segment that first set the base marks the handshake as seen, as in tshark
      if (syn && !fwd.baseSet) fwd.sawSyn = true;
      fwd.baseSeq = syn ? seq : u32(seq - 1);
      fwd.baseSet = true;
    }
    if (!rev.baseSet && hasAck) {
      rev.baseSeq = u32(ack - 1);
      rev.baseSet = true;
    }
    if (hasAck) rev.validBif = true;
    if (syn && !hasAck) st.lastSynNs = timeNs;
    else if (hasAck && !syn && st.firstRttNs === 0 && st.lastSynNs >= 0) st.firstRttNs = timeNs - st.lastSynNs;

    let zeroWindowProbe = false;
    let keepAlive = false;
    let dupAck = false;
    const plain = (flags & NO_SYN_FIN_RST) === 0;
    if (seglen === 1 && seq === fwd.nextSeq && rev.window === 0) zeroWindowProbe = true;
    else {
      if (fwd.nextSeq !== 0 && gt(seq, fwd.nextSeq) && !(flags & TcpFlag.RST)) fwd.validBif = false; // a hole
      keepAlive = seglen <= 1 && seq === u32(fwd.nextSeq - 1) && plain;
      const sameAsLast = seglen === 0 && window !== 0 && window === fwd.window && seq === fwd.nextSeq && ack === fwd.lastAck && plain;
      if (!(sameAsLast && rev.lastKeepAlive)) {
        // zero window probe ACKs are not duplicate ACKs either
        if (sameAsLast) dupAck = true;
      }
    }
    if (dupAck) fwd.dupAcks++;
    if (ack !== fwd.lastAck) fwd.dupAcks = 0;

    if ((seglen > 0 || syn || fin) && !keepAlive) r.retransmission = this.isRetransmission(st, fwd, rev, seq, seglen, flags, timeNs);

    let nextSeq = u32(seq + seglen);
    if (seglen > 0 || syn || fin) {
      if (syn || fin) nextSeq = u32(nextSeq + 1);
      fwd.segments.unshift({ frame, seq, nextSeq, timeNs });
    }
    if ((gt(nextSeq, fwd.nextSeq) || fwd.nextSeq === 0) && !zeroWindowProbe) {
      fwd.nextSeq = nextSeq;
      fwd.nextSeqTimeNs = timeNs;
    }
    if ((seq === fwd.maxSeqToBeAcked || fwd.maxSeqToBeAcked === 0) && !zeroWindowProbe) fwd.maxSeqToBeAcked = fwd.nextSeq;
    fwd.window = window;
    fwd.lastAck = ack;
    fwd.lastAckTimeNs = timeNs;
    fwd.lastKeepAlive = keepAlive;

    this.ackSegments(rev, ack);
    const acked = r.acksFrame;
    if (acked !== 0) r.ackRttNs = timeNs - r.ackRttNs;

    if (seglen !== 0 && fwd.segments.length > 0 && fwd.validBif) {
      // The SYN or FIN of this segment is not counted in flight (as tshark 4.0 prints it).
      const own = syn || fin ? 1 : 0;
      const head = fwd.segments[0] as Unacked;
      let first = u32(head.seq - fwd.baseSeq);
      let last = u32(head.nextSeq - fwd.baseSeq - (head.frame === frame ? own : 0));
      for (const s of fwd.segments) {
        const a = u32(s.seq - fwd.baseSeq);
        const b = u32(s.nextSeq - fwd.baseSeq - (s.frame === frame ? own : 0));
        if (b > last) last = b;
        if (a < first) first = a;
      }
      const inFlight = u32(last - first - rev.sackBytes);
      if (inFlight > 0 && inFlight < 2_000_000_000) r.bytesInFlight = inFlight;
    }
    // The SACK option is read after the analysis: it counts from the next segment the other way.
    fwd.sackBytes = sack ?? 0;

    r.seq = u32(seq - fwd.baseSeq);
    r.ack = hasAck ? u32(ack - rev.baseSeq) : ack; // without ACK, the number as on the wire
    r.nextSeq = u32(nextSeq - fwd.baseSeq);
    if (syn) {
      fwd.winScale = winShift === null ? -1 : Math.min(winShift, 14);
      // tshark's verify_tcp_window_scaling: both SYNs must carry the option
      if (fwd.winScale === -1) {
        fwd.winScale = -2;
        rev.winScale = -2;
      } else if (hasAck && rev.winScale === -2) fwd.winScale = -2;
    }
    r.windowSize = !syn && fwd.winScale >= 0 ? window * 2 ** fwd.winScale : window;
    r.synSeen = fwd.sawSyn;
    return r;
  }

  private isRetransmission(st: StreamState, fwd: Flow, rev: Flow, seq: number, seglen: number, flags: number, timeNs: number): boolean {
    let notAdvanced = fwd.nextSeq !== 0 && lt(seq, fwd.nextSeq);
    if (seglen > 1 && u32(fwd.nextSeq - 1) === seq) notAdvanced = false;
    // Spurious: every byte was acknowledged already.
    if (seglen > 0 && rev.lastAck !== 0 && !gt(u32(seq + seglen), rev.lastAck)) return true;
    // Fast retransmission: two duplicate ACKs asked for this byte less than 20 ms ago.
    if (notAdvanced && rev.dupAcks >= 2 && rev.lastAck === seq && timeNs - rev.lastAckTimeNs < 20_000_000) return true;
    // Out of order: soon after the highest segment, and not a copy of it.
    const threshold = st.firstRttNs === 0 ? 3_000_000 : st.firstRttNs;
    const end = u32(seq + seglen + (flags & (TcpFlag.SYN | TcpFlag.FIN) ? 1 : 0));
    if (notAdvanced && timeNs - fwd.nextSeqTimeNs < threshold && fwd.nextSeq !== end) return false;
    return notAdvanced;
  }

  /** Remove what `ack` acknowledges from the other side's list; an exact end names the frame (and its time, in ackRttNs). */
  private ackSegments(flow: Flow, ack: number): void {
    const r = this.result;
    const kept: Unacked[] = [];
    for (const s of flow.segments) {
      if (ack === s.nextSeq) {
        r.acksFrame = s.frame;
        r.ackRttNs = s.timeNs;
      } else if (gt(ack, s.seq) && !gt(ack, s.nextSeq)) {
        s.seq = ack;
        kept.push(s);
      } else if (gt(s.nextSeq, ack)) kept.push(s);
    }
    flow.segments = kept;
  }
}

/** A signed nanosecond interval as tshark prints a relative time: seconds, 9 decimals. */
export function formatNs(ns: number): string {
  const neg = ns < 0;
  const a = Math.abs(Math.round(ns));
  const s = Math.floor(a / 1e9);
  return `${neg ? '-' : ''}${s}.${String(a - s * 1e9).padStart(9, '0')}`;
}
