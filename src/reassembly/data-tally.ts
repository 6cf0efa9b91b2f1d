/**
 * What one direction of the data level counts and lists, apart from how it places bytes
 * (data-stream.ts extends this): delivered, duplicate and reinjected bytes, the head-of-line
 * histogram, capture gaps and skips, DATA_FINs, checksums and mapping problems. The report and
 * extract read these fields; only the data level writes them.
 */
import { HOL_BUCKETS, type DataSink, type Gap, type Reinjection } from './data-records.js';
import { diff64, hiOf, loOf, U64 } from '../dissect/u64.js';
import { packedZeros, storeAsDoubles } from '../dissect/double-fields.js';
import { Series } from './series.js';

/** Gaps and DATA_FIN conflicts listed per direction (the counts go on). */
export const MAX_LISTED_GAPS = 100;
export const MAX_LISTED_DATA_FINS = 100;

/** A direction's byte and DSN counters (past 2^30 on a long stream) and sums of seconds (fractional). */
const GROWING = [
  'nextRel', 'deliveredBytes', 'retransmittedBytes', 'reinjectedBytes', 'duplicateUnattributedBytes', 'holDelaySumSec', 'holDelayMaxSec',
  'maxRelEnd', 'notCapturedBytes', 'skippedBytes', 'lateBytes', 'releasedByCaptureGapBytes', 'bytesBeforeStart', 'peakBufferedBytes',
  'unmappedBytes', 'snapLost', 'oooBytesDelivered',
];

export abstract class DataTally {
  /** What is held ahead of the in-order point now (held-segments.ts). */
  protected abstract readonly held: { readonly bytes: number; readonly segments: number };

  /** Absolute DSN that relative DSN 0 stands for, as 32-bit halves (known: set), so that placing a DSN makes no BigInt. */
  readonly baseAt = new U64();
  get base(): bigint | null {
    return this.baseAt.known ? this.baseAt.big() : null;
  }
  set base(v: bigint | null) {
    if (v === null) this.baseAt.known = false;
    else this.baseAt.setBig(v);
  }
  /** The base is the IDSN from the key (not the first DSN seen). */
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
  readonly holBytes = packedZeros(HOL_BUCKETS.length);
  holDelaySumSec = 0;
  holDelayMaxSec = 0;
  maxRelEnd = 1;
  // Numbers that may be "none yet" are kept as NaN, read as null through the getters: a field
  // that holds null or a number stores boxed numbers, a new one at each store (per packet here).
  protected dataAckRelAt = NaN;
  protected dataAckTimeAt = NaN;
  protected firstTimeAt = NaN;
  protected lastTimeAt = NaN;
  /** Highest data ACK seen for this direction (relative), and when. */
  get dataAckRel(): number | null {
    return orNull(this.dataAckRelAt);
  }
  get dataAckTime(): number | null {
    return orNull(this.dataAckTimeAt);
  }
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
  /** Bytes placed before relative DSN 1: only when the start is unknown (see startUnknown). */
  bytesBeforeStart = 0;
  /** Every distinct DATA_FIN position, when there is more than one (listed up to MAX_LISTED_DATA_FINS). */
  readonly dataFinConflicts: Array<{ frame: number; dsn: number }> = [];
  /** Largest bytes / segments held ahead of the in-order point at any time. */
  peakBufferedBytes = 0;
  peakBufferedSegments = 0;
  /** Cumulative delivered bytes over time: [t, bytes], at most one point per ms (coarser when long). */
  readonly deliverySeries = new Series(0.001);
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
  /** Capture times of the first and last payload placed. */
  get firstTime(): number | null {
    return orNull(this.firstTimeAt);
  }
  get lastTime(): number | null {
    return orNull(this.lastTimeAt);
  }
  /** Payload bytes the capture did not hold (snaplen) inside delivered (or flushed) ranges. */
  snapLost = 0;

  private oooBytesDelivered = 0;
  private oooSegmentsDelivered = 0;
  /** DATA_FIN positions seen: the first (and its frame), and the others (conflicts). */
  protected finFirst: number | null = null;
  protected finFirstFrame = 0;
  protected finOthers: number[] | null = null;

  constructor() {
    storeAsDoubles(this, GROWING);
  }

  /** Segments that arrived ahead of a gap and waited for a real fill (or still wait, ahead of a hole). */
  get outOfOrderSegments(): number {
    return this.oooSegmentsDelivered + this.held.segments;
  }
  get outOfOrderBytes(): number {
    return this.oooBytesDelivered + this.held.bytes;
  }
  /** Held ahead of the in-order point now. */
  get bufferedBytes(): number {
    return this.held.bytes;
  }
  get bufferedSegments(): number {
    return this.held.segments;
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

  /** A DATA_FIN at a position other than the first one's: a conflict, listed. */
  protected conflictingDataFin(rel: number, frame: number): void {
    if (rel === this.finFirst || this.finOthers?.includes(rel)) return;
    if (this.finOthers === null) {
      this.finOthers = [];
      this.dataFinConflicts.push({ frame: this.finFirstFrame, dsn: this.finFirst as number });
    }
    if (this.finOthers.length < MAX_LISTED_DATA_FINS) this.finOthers.push(rel);
    if (this.dataFinConflicts.length < MAX_LISTED_DATA_FINS) this.dataFinConflicts.push({ frame, dsn: rel });
  }

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

  /** `ov` bytes first carried by `firstSubflow` at `firstTime` came again on `subflow` at `time`. */
  protected duplicate(firstSubflow: number, firstTime: number, ov: number, subflow: number, time: number): void {
    if (firstSubflow === subflow) {
      this.retransmittedBytes += ov;
      return;
    }
    this.reinjectedBytes += ov;
    const key = `${firstSubflow}>${subflow}`;
    let e = this.reinjections.get(key);
    if (e === undefined) {
      e = { fromSubflow: firstSubflow, toSubflow: subflow, bytes: 0, maxDelaySec: 0, count: 0 };
      this.reinjections.set(key, e);
    }
    e.bytes += ov;
    e.count++;
    if (time - firstTime > e.maxDelaySec) e.maxDelaySec = time - firstTime;
  }

  /** `n` held bytes delivered after waiting `delay` seconds: out of order, in the histogram. */
  protected waited(n: number, delay: number): void {
    this.holDelaySumSec += delay * n;
    if (delay > this.holDelayMaxSec) this.holDelayMaxSec = delay;
    let b = 0;
    while (delay > (HOL_BUCKETS[b] as number)) b++;
    this.holBytes[b] = (this.holBytes[b] as number) + n;
    this.oooBytesDelivered += n;
    this.oooSegmentsDelivered++;
  }

  protected countSnapLost(len: number, captured: number): void {
    if (captured < len) this.snapLost += len - captured;
  }

  /** A point of the delivery series at `time`. */
  protected record(time: number): void {
    // a proof applied late is timed when it was seen, but the series only moves forward
    this.deliverySeries.push(this.lastTimeAt > time ? this.lastTimeAt : time, this.deliveredBytes);
  }

  /** A gap of `n` bytes the in-order point moves past: counted, listed up to MAX_LISTED_GAPS. */
  protected countGap(rec: Gap, notCaptured: boolean): void {
    if (notCaptured) {
      this.captureGapCount++;
      this.notCapturedBytes += rec.bytes;
      if (this.captureGaps.length < MAX_LISTED_GAPS) this.captureGaps.push(rec);
    } else {
      this.skippedGapCount++;
      this.skippedBytes += rec.bytes;
      if (this.skippedGaps.length < MAX_LISTED_GAPS) this.skippedGaps.push(rec);
    }
  }
}

/** NaN ("none yet") as null. */
function orNull(x: number): number | null {
  return Number.isNaN(x) ? null : x;
}
