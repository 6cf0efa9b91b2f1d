/**
 * One direction of an MPTCP connection at the data level: every payload byte placed at its data
 * sequence number, whatever subflow carried it.
 *
 * Relative DSNs are plain numbers (offsets from the IDSN, so the first data byte is 1): exact up
 * to 2^53 bytes, which no capture reaches.
 *
 * Everything the stream knows about its DSN space is one ordered list of disjoint intervals
 * (ordered-intervals.ts, O(log n)): received ranges behind the in-order point (for duplicate and
 * reinjection attribution, pruned to MAX_RANGES_BEHIND), gaps the in-order point moved past, and
 * the segments held ahead of a gap ("pending", with a copy of their bytes only when this
 * direction is extracted). What is held ahead is capped (per stream and in a budget shared by the
 * streams that were given the same BufferBudget); past a cap the oldest gap is skipped and
 * reported, never silently.
 *
 * Out of order / head-of-line delay are counted at delivery, by what made the bytes deliverable:
 * a fill counts; a DATA_ACK proof counts only the bytes the receiver's ACKs show waited (see
 * releasedByCaptureGapBytes); a cap skip does not.
 *
 * Three kinds of missing bytes, kept apart:
 *  - not captured: the peer's DATA_ACK proves the receiver had bytes the capture never saw (a
 *    capture gap, not a network event): the in-order point moves past them at once;
 *  - skipped: a buffering cap forced the in-order point past a gap nobody acknowledged;
 *  - holes: what is still missing at the end, between the in-order point and the highest byte
 *    received (or the DATA_FIN).
 *
 * deliveredBytes counts captured bytes that reached the in-order point; notCapturedBytes and
 * skippedBytes the DSN space it moved past without them, so that
 * nextRel - 1 = deliveredBytes + notCapturedBytes + skippedBytes (+ bytesBeforeStart handling,
 * which never moves the point).
 */
import {
  BufferBudget,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_BUFFERED_SEGMENTS,
  HOL_BUCKETS,
  type DataSink,
  type DataStreamLimits,
  type Gap,
  type Hole,
  type Reinjection,
} from './data-records.js';
import { OrderedIntervals, type IntervalNode } from './ordered-intervals.js';
import { diff64, hiOf, loOf, U64 } from '../dissect/u64.js';
import { Series } from './series.js';

export { BufferBudget, HOL_BUCKETS } from './data-records.js';
export type { DataSink, DataStreamLimits, Gap, Hole, Reinjection } from './data-records.js';

/** Contiguous ranges from one subflow are merged when sent within this long of each other. */
const MERGE_WINDOW_SEC = 0.0002;

/** Ranges kept behind the in-order point for reinjection attribution. */
const MAX_RANGES_BEHIND = 4096;

/** Gaps and DATA_FIN conflicts listed per direction (the counts go on). */
export const MAX_LISTED_GAPS = 100;
const MAX_LISTED_DATA_FINS = 100;

/** Pruned nodes kept for reuse, so that a long stream allocates no nodes once warm. */
const MAX_FREE_NODES = MAX_RANGES_BEHIND;

/**
 * A DATA_ACK proof is applied this long (capture time) after it was seen, or sooner under a cap
 * or at the end: captures merged from several interfaces are not always in time order (the public
 * websiteloaded.pcap has data up to 22 ms older than the ACK for it, further on in the file), and
 * bytes that turn up within the grace are then placed, and extracted, in order. What the grace
 * holds is bounded by the caps (a cap applies a waiting proof before skipping anything).
 */
const PROOF_GRACE_SEC = 0.25;

/** The most a DATA_ACK may run ahead of every DSN seen to count as a proof: one full window. */
const MAX_ACK_LEAD = 2 ** 30;

/** Relative DSNs are exact integers only below 2^53: further ones are corrupt, and ignored. */
const MAX_REL = 2 ** 52;

/** Zeros written in place of missing bytes come from one shared chunk (the sinks copy). */
const ZERO_CHUNK = new Uint8Array(64 * 1024);

const enum Kind {
  /** Received and behind the in-order point (delivered). */
  Received,
  /** Received ahead of a gap, waiting. */
  Pending,
  /** Moved past: the DATA_ACK proved the receiver had these bytes. */
  NotCaptured,
  /** Moved past: a buffering cap gave up on them. */
  Skipped,
}

interface Piece extends IntervalNode {
  kind: Kind;
  subflow: number;
  time: number;
  /** Copy of the captured bytes (pending pieces of an extracted direction only). */
  bytes: Uint8Array | null;
  /** How many of its bytes the capture held (fewer than end - start with a snap length). */
  captured: number;
  gap: Gap | null;
}

/**
 * What made held bytes deliverable: a real fill; the DATA_ACK proving the gap before them was
 * only missed by the capture; or a buffering cap giving up on that gap.
 */
const enum Made {
  Fill,
  Proof,
  Skip,
}

export class DataStream {
  /** Absolute DSN that relative DSN 0 stands for (IDSN when the key is known). */
  /** As 32-bit halves (baseAt.known: set), so that placing a DSN makes no BigInt. */
  readonly baseAt = new U64();
  get base(): bigint | null {
    return this.baseAt.known ? this.baseAt.big() : null;
  }
  set base(v: bigint | null) {
    if (v === null) this.baseAt.known = false;
    else this.baseAt.setBig(v);
  }
  baseFromKey = false;
  /** Next relative DSN to deliver in order. */
  nextRel = 1;
  /** Captured bytes that reached the in-order point. */
  deliveredBytes = 0;
  /** Bytes whose DSNs were carried again on the same subflow (TCP retransmission or a re-send there) and on another (reinjection). */
  retransmittedBytes = 0;
  reinjectedBytes = 0;
  /** Duplicates whose first copy is no longer remembered. */
  duplicateUnattributedBytes = 0;
  readonly reinjections = new Map<string, Reinjection>();
  /** Bytes × head-of-line delay histogram (HOL_BUCKETS), and totals: bytes that waited for a real fill. */
  readonly holBytes = new Array<number>(HOL_BUCKETS.length).fill(0);
  holDelaySumSec = 0;
  holDelayMaxSec = 0;
  maxRelEnd = 1;
  /** Highest data ACK seen for this direction (relative), and when. */
  dataAckRel: number | null = null;
  dataAckTime: number | null = null;
  /** Capture gaps (proven by the DATA_ACK) and cap skips, listed up to MAX_LISTED_GAPS. */
  readonly captureGaps: Gap[] = [];
  captureGapCount = 0;
  notCapturedBytes = 0;
  readonly skippedGaps: Gap[] = [];
  skippedGapCount = 0;
  skippedBytes = 0;
  /** Bytes that turned up after the in-order point had moved past them (not written to the sink). */
  lateBytes = 0;
  /**
   * Held bytes released when a DATA_ACK proved the gap before them a capture gap, and that the
   * receiver's own ACKs show waited: a DATA_ACK stuck at the start of the gap was sent after they
   * arrived (the gap's bytes reached it late, as a real fill would have). Those are in
   * outOfOrderBytes, delayed up to the proof, and listed apart here; the others are not counted
   * (nothing shows they waited: the capture may just have missed an in-order packet).
   */
  releasedByCaptureGapBytes = 0;
  /** Time of the latest DATA_ACK at the in-order point: the receiver still lacked the gap then. */
  private stillMissingAt = -Infinity;
  /** A DATA_ACK proof not applied yet (PROOF_GRACE_SEC): up to where, since when, which frame. */
  private provenTo = 0;
  private provenAt = 0;
  private provenFrame: number | null = null;
  /** Bytes placed before relative DSN 1: only when the start is unknown (see startUnknown). */
  bytesBeforeStart = 0;
  /** Every distinct DATA_FIN position, when there is more than one (listed up to MAX_LISTED_DATA_FINS). */
  readonly dataFinConflicts: Array<{ frame: number; dsn: number }> = [];
  /** Largest bytes / segments held ahead of the in-order point at any time. */
  peakBufferedBytes = 0;
  peakBufferedSegments = 0;
  /** Cumulative delivered bytes over time: [t, bytes], at most one point per ms (coarser when long). */
  private readonly deliverySeries = new Series(0.001);
  get delivery(): ReadonlyArray<readonly [number, number]> {
    return this.deliverySeries.points;
  }
  sink: DataSink | null = null;
  /**
   * With a sink: write zeros for bytes the capture did not hold (snap length, capture gaps, skips)
   * and go on; otherwise the sink stops at the first missing byte (sinkStoppedAt).
   */
  fillHoles = false;
  /** Relative DSN of the first byte the sink could not write (fillHoles off), or null. */
  sinkStoppedAt: number | null = null;
  /** Last absolute DSN seen in a mapping: the reference for widening 32-bit DSNs. */
  readonly lastDsn = new U64();
  /** Last absolute data ACK for this direction's data (the reference for 32-bit ACKs). */
  readonly lastAck = new U64();
  mappings = 0;
  /** The high half of 32-bit DSNs is known (from the key, or a 64-bit DSN seen). */
  dsnHighKnown = false;
  checksumsVerified = 0;
  checksumFailures = 0;
  readonly checksumFailureList: Array<{ frame: number; subflow: number; dsn: number; dataLen: number }> = [];
  /** Checksummed mappings whose bytes were not all captured. */
  checksumsUnverifiable = 0;
  /** Payload bytes no mapping covered (capture started mid-mapping, or plain TCP after fallback). */
  unmappedBytes = 0;
  readonly mappingConflicts: Array<{ frame: number; message: string }> = [];
  infiniteMapping: { frame: number; subflow: number } | null = null;
  readonly mpFail: Array<{ frame: number; dsn: string }> = [];
  firstTime: number | null = null;
  lastTime: number | null = null;
  /** Payload bytes the capture did not hold (snaplen) inside delivered (or flushed) ranges. */
  snapLost = 0;

  private readonly list = new OrderedIntervals<Piece>();
  /** The node that ends at nextRel (null before anything is behind it). */
  private lastBehind: Piece | null = null;
  private prunedBelow = 0;
  private pendingBytes = 0;
  private pendingSegments = 0;
  private oooBytesDelivered = 0;
  private oooSegmentsDelivered = 0;
  private readonly free: Piece[] = [];
  /** DATA_FIN positions seen: the first, and the others (conflicts). */
  private finFirst: number | null = null;
  private finOthers: number[] | null = null;
  private readonly limits: DataStreamLimits;

  constructor(limits: Partial<DataStreamLimits> = {}) {
    this.limits = {
      maxBufferedBytes: limits.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
      maxBufferedSegments: limits.maxBufferedSegments ?? DEFAULT_MAX_BUFFERED_SEGMENTS,
      // A stream given no budget has its own: then only the per-stream caps bind.
      budget: limits.budget ?? new BufferBudget(),
    };
  }

  /** Segments that arrived ahead of a gap and waited for a real fill (or still wait, ahead of a hole). */
  get outOfOrderSegments(): number {
    return this.oooSegmentsDelivered + this.pendingSegments;
  }
  get outOfOrderBytes(): number {
    return this.oooBytesDelivered + this.pendingBytes;
  }
  /** Held ahead of the in-order point now. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }
  get bufferedSegments(): number {
    return this.pendingSegments;
  }
  /** No IDSN: relative DSNs count from the first DSN seen, and what came before it is unknown. */
  get startUnknown(): boolean {
    return this.baseAt.known && !this.baseFromKey;
  }

  /**
   * Where the DATA_FIN is. With conflicting DATA_FINs: the one the peer acknowledged, else the
   * lowest at or past the data received (a later, higher one would invent a hole), else the highest.
   */
  get dataFinRel(): number | null {
    const others = this.finOthers;
    if (others === null) return this.finFirst;
    const all = [this.finFirst as number, ...others];
    if (this.dataAckRel !== null) {
      const acked = all.find((f) => f + 1 === this.dataAckRel);
      if (acked !== undefined) return acked;
    }
    let best: number | null = null;
    for (const f of all) if (f >= this.maxRelEnd && (best === null || f < best)) best = f;
    return best ?? Math.max(...all);
  }
  set dataFinRel(rel: number | null) {
    this.finFirst = rel;
    this.finOthers = null;
  }

  /** A DATA_FIN at relative DSN `rel` (the DSN its byte takes), seen in `frame`. */
  dataFin(rel: number, frame: number): void {
    // a DATA_FIN a whole window beyond every byte seen is corrupt (and would ask --fill-holes for
    // petabytes of zeros)
    if (!(Math.abs(rel) < MAX_REL) || rel - Math.max(this.maxRelEnd, this.nextRel) > MAX_ACK_LEAD) return;
    if (this.finFirst === null) {
      this.finFirst = rel;
      this.dataFinConflicts.length = 0;
      this.firstFinFrame = frame;
      this.trimTailGap(rel);
      return;
    }
    if (rel === this.finFirst || this.finOthers?.includes(rel)) return;
    if (this.finOthers === null) {
      this.finOthers = [];
      this.dataFinConflicts.push({ frame: this.firstFinFrame, dsn: this.finFirst });
    }
    if (this.finOthers.length < MAX_LISTED_DATA_FINS) this.finOthers.push(rel);
    if (this.dataFinConflicts.length < MAX_LISTED_DATA_FINS) this.dataFinConflicts.push({ frame, dsn: rel });
  }
  private firstFinFrame = 0;

  /** Relative DSN of an absolute one; sets the base from the first DSN when no key is known. */
  rel(abs: bigint): number {
    return this.relOf(hiOf(abs), loOf(abs));
  }

  /** rel() of the absolute DSN (hi, lo). */
  relOf(hi: number, lo: number): number {
    const b = this.baseAt;
    if (!b.known) b.setSum(hi, lo, -1);
    return diff64(hi, lo, b.hi, b.lo);
  }

  /**
   * A segment's payload placed at relative DSN `start`. `bytes` is the captured part (a view,
   * copied only if kept); `len` the bytes it stands for (more than captured with a snaplen).
   * `capturedLen` says how many were captured when `bytes` is not given (no sink: the bytes are
   * not needed, so the caller need not make a view per packet).
   */
  add(start: number, len: number, bytes: Uint8Array, subflow: number, time: number, capturedLen = bytes.length): void {
    // (the caller keeps DSNs within ±2^52 of the start; anything else would lose integer precision)
    if (len <= 0 || !(Math.abs(start) < MAX_REL)) return;
    const end = start + len;
    if (this.provenTo > this.nextRel && time >= this.provenAt + PROOF_GRACE_SEC) this.applyProof();
    if (this.firstTime === null) this.firstTime = time;
    this.lastTime = time;
    if (end > this.maxRelEnd) this.maxRelEnd = end;
    if (start === this.nextRel) {
      // The common case: in order, nothing held that it overlaps. No search.
      const ahead = this.afterBehind();
      if (ahead === null || ahead.start >= end) {
        this.fresh(start, end, start, bytes, subflow, time, capturedLen);
        this.prune();
        return;
      }
    }
    let cur = start;
    if (cur < 1) {
      // Before relative 1 (no IDSN known and the capture started mid-stream, so the first DSN
      // seen was not the lowest): there is nothing to place these bytes against.
      const before = Math.min(end, 1) - cur;
      this.bytesBeforeStart += before;
      cur += before;
      if (cur >= end) return;
    }
    if (cur < this.prunedBelow) {
      // Bytes below the pruned point were received (they were delivered): duplicates we can no
      // longer attribute to a subflow.
      const gone = Math.min(end, this.prunedBelow) - cur;
      this.duplicateUnattributedBytes += gone;
      cur += gone;
      if (cur >= end) return;
    }
    // Past everything known (the usual out-of-order arrival): nothing to overlap, no search.
    const top = this.list.last();
    let node = top === null || top.end <= cur ? null : this.list.firstEndingAfter(cur);
    while (cur < end) {
      if (node === null || node.start >= end) {
        this.fresh(cur, end, start, bytes, subflow, time, capturedLen);
        break;
      }
      if (node.start > cur) {
        this.fresh(cur, node.start, start, bytes, subflow, time, capturedLen);
        cur = node.start;
      }
      const ovEnd = Math.min(end, node.end);
      const following = this.list.next(node);
      if (node.kind === Kind.Received || node.kind === Kind.Pending) this.duplicate(node, ovEnd - cur, subflow, time);
      else this.late(node, cur, ovEnd, subflow, time);
      cur = ovEnd;
      node = following;
    }
    this.enforceCaps(time);
    this.prune();
  }

  /** Bytes [a, b) never received before, from a segment that starts at `segStart`. */
  private fresh(a: number, b: number, segStart: number, bytes: Uint8Array, subflow: number, time: number, capturedLen: number): void {
    const captured = Math.min(b - segStart, capturedLen) - Math.min(a - segStart, capturedLen);
    const from = Math.min(a - segStart, bytes.length);
    const to = Math.min(b - segStart, bytes.length);
    if (a === this.nextRel) {
      const n = b - a;
      this.countSnapLost(n, captured);
      if (this.sink !== null) this.writeSink(bytes.subarray(from, to), n, this.fillHoles);
      this.holBytes[0] = (this.holBytes[0] as number) + n;
      this.deliveredBytes += n;
      this.nextRel = b;
      const prev = this.lastBehind;
      // merge with the range before from the same subflow sent at (nearly) the same time: a
      // reinjection delay is then measured from the first copy within MERGE_WINDOW_SEC
      if (prev !== null && prev.kind === Kind.Received && prev.end === a && prev.subflow === subflow && time - prev.time < MERGE_WINDOW_SEC) {
        prev.end = b;
      } else {
        const p = this.node(a, b, Kind.Received, subflow, time, null, captured);
        this.list.insert(p);
        this.lastBehind = p;
      }
      // held pieces that now follow on go too (drain records the series point)
      if (this.pendingSegments > 0) this.drain(time, Made.Fill);
      else this.record(time);
      return;
    }
    // Ahead of a gap: held. (Below nextRel everything is covered by a node or was pruned.)
    const keep = this.sink !== null && this.sinkStoppedAt === null ? bytes.slice(from, to) : null;
    this.list.insert(this.node(a, b, Kind.Pending, subflow, time, keep, captured));
    this.pendingBytes += b - a;
    this.pendingSegments++;
    this.limits.budget.bytes += b - a;
    this.limits.budget.segments++;
    if (this.pendingBytes > this.peakBufferedBytes) this.peakBufferedBytes = this.pendingBytes;
    if (this.pendingSegments > this.peakBufferedSegments) this.peakBufferedSegments = this.pendingSegments;
  }

  private duplicate(r: Piece, ov: number, subflow: number, time: number): void {
    if (r.subflow === subflow) {
      this.retransmittedBytes += ov;
      return;
    }
    this.reinjectedBytes += ov;
    const key = `${r.subflow}>${subflow}`;
    let e = this.reinjections.get(key);
    if (e === undefined) {
      e = { fromSubflow: r.subflow, toSubflow: subflow, bytes: 0, maxDelaySec: 0, count: 0 };
      this.reinjections.set(key, e);
    }
    e.bytes += ov;
    e.count++;
    if (time - r.time > e.maxDelaySec) e.maxDelaySec = time - r.time;
  }

  /**
   * Bytes [a, b) of a gap the in-order point already moved past turned up (reordering between
   * interfaces, or a fill after a cap skip): the gap shrinks, the bytes count as delivered (they
   * were captured) but are too late for the sink.
   */
  private late(g: Piece, a: number, b: number, subflow: number, time: number): void {
    const n = b - a;
    const rec = g.gap as Gap;
    rec.bytes -= n;
    if (g.kind === Kind.NotCaptured) this.notCapturedBytes -= n;
    else this.skippedBytes -= n;
    this.deliveredBytes += n;
    this.lateBytes += n;
    const wasLast = this.lastBehind === g;
    const gEnd = g.end;
    this.list.remove(g);
    let last: Piece | null = null;
    if (g.start < a) {
      g.end = a;
      this.list.insert(g);
      last = g;
    }
    const got = this.node(a, b, Kind.Received, subflow, time, null, n);
    this.list.insert(got);
    last = got;
    if (b < gEnd) {
      last = this.node(b, gEnd, g.kind, 0, g.time, null, 0);
      last.gap = rec;
      this.list.insert(last);
    }
    if (wasLast) this.lastBehind = last;
  }

  /** Highest data ACK for this direction (acks come from the other side); `frame` when known. */
  ack(rel: number, time: number, frame: number | null = null): void {
    if (!(Math.abs(rel) < MAX_REL)) return; // a corrupt ACK petabytes away: not a position
    if (this.dataAckRel === null || rel > this.dataAckRel) {
      this.dataAckRel = rel;
      this.dataAckTime = time;
    }
    // At exactly the in-order point: the receiver had everything before the gap, not the gap (an
    // ACK below it may only lag: Linux acknowledges data when it reaches the connection's queue).
    if (rel === this.nextRel) this.stillMissingAt = time;
    // The receiver had every byte below the ACK: a proof, applied after PROOF_GRACE_SEC.
    if (rel <= this.nextRel || rel <= this.provenTo) {
      if (this.provenTo > this.nextRel && time >= this.provenAt + PROOF_GRACE_SEC) this.applyProof();
      return;
    }
    // Past the largest receive window beyond anything seen (2^30, RFC 7323 §2.3): a corrupt or
    // misread ACK, not a proof (dataAck still shows it).
    if (rel - Math.max(this.maxRelEnd, this.nextRel, this.provenTo) > MAX_ACK_LEAD) return;
    if (this.provenTo <= this.nextRel) {
      this.provenAt = time;
      this.provenFrame = frame;
    }
    this.provenTo = rel;
    if (time >= this.provenAt + PROOF_GRACE_SEC) this.applyProof();
  }

  /**
   * Apply what the DATA_ACKs proved and is still waiting (the end of the capture, or a report
   * now): the in-order point moves past every capture gap below the highest DATA_ACK.
   */
  settle(): void {
    if (this.provenTo > this.nextRel) this.applyProof();
  }

  private applyProof(): void {
    // The DATA_FIN's own byte is not data (known by now if it was captured).
    const fin = this.finFirst === null ? null : this.dataFinRel;
    let upTo = fin !== null && fin < this.provenTo ? fin : this.provenTo;
    // An ACK exactly one past the last byte received, no DATA_FIN seen: it acknowledges a
    // DATA_FIN the capture missed (a one-byte data gap at the very end is far less likely).
    if (fin === null && upTo === this.maxRelEnd + 1) upTo = this.maxRelEnd;
    this.provenTo = 0;
    if (upTo <= this.nextRel) return;
    this.skipTo(upTo, Kind.NotCaptured, this.provenAt, this.provenFrame);
    this.prune();
  }

  /**
   * Move the in-order point to `target`: every range without bytes on the way becomes a gap of
   * `kind`; held bytes on the way, and those contiguous after it, are delivered (the gap's own
   * bytes are never out of order; those released by a cap skip are not either: their wait
   * measured the cap, not the network).
   */
  private skipTo(target: number, kind: Kind.NotCaptured | Kind.Skipped, time: number, frame: number | null): void {
    this.proofFillReady = -Infinity;
    for (;;) {
      const p = this.afterBehind();
      const gapEnd = p === null ? target : Math.min(p.start, target);
      if (gapEnd > this.nextRel) this.gap(this.nextRel, gapEnd, kind, time, frame);
      this.drain(time, kind === Kind.NotCaptured ? Made.Proof : Made.Skip);
      if (this.nextRel >= target) break;
    }
    this.record(time);
  }

  private gap(start: number, end: number, kind: Kind.NotCaptured | Kind.Skipped, time: number, frame: number | null): void {
    const n = end - start;
    const rec: Gap = { start, end, bytes: n, time, frame };
    if (kind === Kind.NotCaptured) {
      this.captureGapCount++;
      this.notCapturedBytes += n;
      if (this.captureGaps.length < MAX_LISTED_GAPS) this.captureGaps.push(rec);
    } else {
      this.skippedGapCount++;
      this.skippedBytes += n;
      if (this.skippedGaps.length < MAX_LISTED_GAPS) this.skippedGaps.push(rec);
    }
    const prev = this.lastBehind;
    if (prev !== null && prev.kind === kind && prev.end === start && prev.gap !== null && prev.gap.end === start) {
      // The same gap growing (a DATA_ACK moving on through bytes still not captured): one record.
      prev.end = end;
      prev.gap.end = end;
      prev.gap.bytes += n;
      if (kind === Kind.NotCaptured) this.captureGapCount--;
      else this.skippedGapCount--;
      const list = kind === Kind.NotCaptured ? this.captureGaps : this.skippedGaps;
      if (list.at(-1) === rec) list.pop();
    } else {
      const g = this.node(start, end, kind, 0, time, null, 0);
      g.gap = rec;
      this.list.insert(g);
      this.lastBehind = g;
    }
    if (this.sink !== null) this.missing(start, n, this.fillHoles);
    this.nextRel = end;
  }

  /** A DATA_FIN learnt after an ACK moved past its byte as if it were data: give the byte back. */
  private trimTailGap(fin: number): void {
    const g = this.lastBehind;
    if (g === null || g.kind !== Kind.NotCaptured || g.end !== this.nextRel || fin < g.start || fin >= g.end) return;
    const n = g.end - fin;
    const rec = g.gap as Gap;
    rec.bytes -= n;
    rec.end = fin;
    this.notCapturedBytes -= n;
    this.nextRel = fin;
    if (fin > g.start) {
      g.end = fin;
      return;
    }
    this.list.remove(g);
    this.recycle(g);
    this.lastBehind = fin > 1 ? this.list.floor(fin - 1) : null;
    if (rec.bytes === 0) {
      this.captureGapCount--;
      const i = this.captureGaps.indexOf(rec);
      if (i >= 0) this.captureGaps.splice(i, 1);
    }
  }

  /** Deliver the held pieces that start at the in-order point, one after another. */
  private drain(time: number, made: Made): void {
    let p = this.afterBehind();
    while (p !== null && p.kind === Kind.Pending && p.start === this.nextRel) {
      const n = p.end - p.start;
      this.countSnapLost(n, p.captured);
      if (this.sink !== null && p.bytes !== null) this.writeSink(p.bytes, n, this.fillHoles);
      let delay = -1;
      if (made === Made.Fill) delay = time > p.time ? time - p.time : 0;
      else if (made === Made.Proof) delay = this.proofDelay(p, time);
      if (delay >= 0) {
        this.holDelaySumSec += delay * n;
        if (delay > this.holDelayMaxSec) this.holDelayMaxSec = delay;
        let b = 0;
        while (delay > (HOL_BUCKETS[b] as number)) b++;
        this.holBytes[b] = (this.holBytes[b] as number) + n;
        this.oooBytesDelivered += n;
        this.oooSegmentsDelivered++;
        if (made === Made.Proof && this.waitedForProof) this.releasedByCaptureGapBytes += n;
      }
      this.release(n);
      p.kind = Kind.Received;
      p.bytes = null;
      this.deliveredBytes += n;
      this.nextRel = p.end;
      this.lastBehind = p;
      p = this.list.next(p);
    }
    this.record(time);
  }

  /**
   * How long a piece released by a proof seen at `provenAt` waited, or -1 if it did not: as if
   * the in-order point had moved at once, a piece is deliverable when the proof is seen and every
   * piece before it has arrived (pieces arriving within the grace are timed as they would have
   * been). Waiting for a piece that arrived later is a real fill; waiting only for the proof
   * counts when the receiver's ACKs showed it stuck at the gap after this piece arrived.
   */
  private proofDelay(p: Piece, provenAt: number): number {
    const fillReady = this.proofFillReady;
    if (p.time > this.proofFillReady) this.proofFillReady = p.time;
    const proofCounts = p.time <= this.stillMissingAt && provenAt > p.time;
    this.waitedForProof = proofCounts && provenAt > fillReady;
    if (fillReady > p.time) return (this.waitedForProof ? provenAt : fillReady) - p.time;
    return proofCounts ? provenAt - p.time : -1;
  }
  /** The last proofDelay was the wait for the proof itself (not for a later piece). */
  private waitedForProof = false;
  /** Latest arrival among the pieces a proof has released so far (see proofDelay). */
  private proofFillReady = -Infinity;

  private release(n: number): void {
    this.pendingBytes -= n;
    this.pendingSegments--;
    this.limits.budget.bytes -= n;
    this.limits.budget.segments--;
  }

  /** Past a cap: skip the oldest gap (the one at the in-order point) until back under. */
  private enforceCaps(time: number): void {
    const l = this.limits;
    // A proof waiting for its grace goes first: those gaps are known capture gaps, not skips.
    if (this.provenTo > this.nextRel && this.overCap()) this.applyProof();
    while (this.pendingSegments > 0 && (this.pendingBytes > l.maxBufferedBytes || this.pendingSegments > l.maxBufferedSegments || l.budget.exceeded)) {
      const p = this.afterBehind() as Piece;
      this.skipTo(p.start, Kind.Skipped, time, null);
    }
  }

  private overCap(): boolean {
    const l = this.limits;
    return this.pendingBytes > l.maxBufferedBytes || this.pendingSegments > l.maxBufferedSegments || l.budget.exceeded;
  }

  /** The first node at or after the in-order point. */
  private afterBehind(): Piece | null {
    return this.lastBehind === null ? this.list.first() : this.list.next(this.lastBehind);
  }

  private record(time: number): void {
    // a proof applied late is timed when it was seen, but the series only moves forward
    this.deliverySeries.push(this.lastTime !== null && this.lastTime > time ? this.lastTime : time, this.deliveredBytes);
  }

  private countSnapLost(len: number, captured: number): void {
    if (captured < len) this.snapLost += len - captured;
  }

  /** `view` holds the captured part of `len` bytes at the sink's position. */
  private writeSink(view: Uint8Array, len: number, fill: boolean): void {
    if (this.sinkStoppedAt !== null) return;
    const sink = this.sink as DataSink;
    if (view.length > 0) sink.write(view);
    // A snap length cut the payload: the rest is missing (zeros only when asked, so that what
    // follows stays at its place).
    if (view.length < len) this.missing(this.nextRel + view.length, len - view.length, fill);
  }

  /** `n` bytes at relative DSN `at` that the sink cannot have. */
  private missing(at: number, n: number, fill: boolean): void {
    if (this.sinkStoppedAt !== null) return;
    if (!fill) {
      this.sinkStoppedAt = at;
      this.dropHeldCopies();
      return;
    }
    const sink = this.sink as DataSink;
    for (let left = n; left > 0; left -= ZERO_CHUNK.length) sink.write(left >= ZERO_CHUNK.length ? ZERO_CHUNK : ZERO_CHUNK.subarray(0, left));
  }

  /** The sink stopped: copies held for it are no longer needed. */
  private dropHeldCopies(): void {
    for (let p = this.afterBehind(); p !== null; p = this.list.next(p)) p.bytes = null;
  }

  private node(start: number, end: number, kind: Kind, subflow: number, time: number, bytes: Uint8Array | null, captured: number): Piece {
    const p = this.free.pop();
    if (p === undefined) return { start, end, next: [], level: 0, kind, subflow, time, bytes, captured, gap: null };
    p.start = start;
    p.end = end;
    p.kind = kind;
    p.subflow = subflow;
    p.time = time;
    p.bytes = bytes;
    p.captured = captured;
    p.gap = null;
    return p;
  }

  private recycle(p: Piece): void {
    p.bytes = null;
    p.gap = null;
    // stale links would keep forgotten nodes alive (a loop: fill() is a call per node)
    const links = p.next;
    for (let i = 0; i < links.length; i++) links[i] = null;
    if (this.free.length < MAX_FREE_NODES) this.free.push(p);
  }

  /** Forget ranges well behind the in-order point. */
  private prune(): void {
    if (this.list.size - this.pendingSegments <= MAX_RANGES_BEHIND) return;
    while (this.list.size - this.pendingSegments > MAX_RANGES_BEHIND / 2) {
      const p = this.list.shift() as Piece;
      this.prunedBelow = p.end;
      this.recycle(p);
    }
  }

  /** DSN ranges never seen up to the highest byte received (or the DATA_FIN), gaps moved past excluded. */
  holes(): Hole[] {
    this.settle();
    const fin = this.dataFinRel;
    const end = Math.max(this.maxRelEnd, fin ?? 0);
    const out: Hole[] = [];
    let cur = this.nextRel;
    for (let p = this.afterBehind(); p !== null; p = this.list.next(p)) {
      if (p.start > cur) out.push({ start: cur, end: p.start });
      cur = p.end;
    }
    if (cur < end) out.push({ start: cur, end });
    return out;
  }

  /**
   * holes(), each with when the bytes just after it were received (capture time; null for a
   * hole up to the DATA_FIN): for live capture, which names the holes that fall where libpcap
   * counted drops (src/live/drop-windows.ts). Apart from holes() so that its shape stays.
   */
  holesSeenAfter(): Array<Hole & { seenAfter: number | null }> {
    this.settle();
    const end = Math.max(this.maxRelEnd, this.dataFinRel ?? 0);
    const out: Array<Hole & { seenAfter: number | null }> = [];
    let cur = this.nextRel;
    for (let p = this.afterBehind(); p !== null; p = this.list.next(p)) {
      if (p.start > cur) out.push({ start: cur, end: p.start, seenAfter: p.time });
      cur = p.end;
    }
    if (cur < end) out.push({ start: cur, end, seenAfter: null });
    return out;
  }

  /** Write what is left (bytes after holes), zero-filling the holes when asked. */
  flush(fillHoles: boolean): void {
    this.settle();
    if (this.sink === null) return;
    const sink = this.sink;
    let cur = this.nextRel;
    for (let p = this.afterBehind(); p !== null; p = this.list.next(p)) {
      if (this.sinkStoppedAt !== null) return;
      if (p.start > cur) {
        if (!fillHoles) {
          this.sinkStoppedAt = cur;
          return;
        }
        this.missing(cur, p.start - cur, true);
      }
      const n = p.end - p.start;
      this.countSnapLost(n, p.captured);
      const view = p.bytes ?? new Uint8Array(0);
      if (view.length > 0) sink.write(view);
      if (view.length < n) this.missing(p.start + view.length, n - view.length, fillHoles);
      cur = p.end;
    }
    const finEnd = this.dataFinRel ?? cur;
    if (finEnd > cur && this.sinkStoppedAt === null) {
      if (fillHoles) this.missing(cur, finEnd - cur, true);
      else this.sinkStoppedAt = cur;
    }
  }
}
