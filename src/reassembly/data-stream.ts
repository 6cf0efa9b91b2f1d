/**
 * One direction of an MPTCP connection at the data level: every payload byte placed at its data
 * sequence number, whatever subflow carried it.
 *
 * Relative DSNs are plain numbers (offsets from the IDSN, so the first data byte is 1): exact up
 * to 2^53 bytes, which no capture reaches. What is held: the byte ranges received (merged, and
 * pruned behind the in-order point so that a long capture stays in bounded memory), and — only
 * when this direction is being extracted — copies of the bytes that arrived ahead of a gap.
 */
import { Series } from './series.js';

export interface Reinjection {
  /** Subflow (tcp.stream) that carried the first copy, and the one that carried it again. */
  fromSubflow: number;
  toSubflow: number;
  bytes: number;
  /** Seconds between the first copy and this one (the largest seen for this pair). */
  maxDelaySec: number;
  count: number;
}

export interface Hole {
  /** Relative DSN range [start, end) the capture never saw. */
  start: number;
  end: number;
}

/** Where the bytes of an extracted direction go, in data-sequence order. */
export interface DataSink {
  write(bytes: Uint8Array): void;
}

interface Range {
  start: number;
  end: number;
  subflow: number;
  time: number;
}

interface Pending {
  start: number;
  end: number;
  time: number;
  bytes: Uint8Array | null;
}

/** Head-of-line delay histogram buckets (upper bounds, seconds). */
export const HOL_BUCKETS = [0, 0.0001, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, Infinity];

/** Contiguous ranges from one subflow are merged when sent within this long of each other. */
const MERGE_WINDOW_SEC = 0.0002;

/** Ranges kept behind the in-order point for reinjection attribution. */
const MAX_RANGES_BEHIND = 4096;

export class DataStream {
  /** Absolute DSN that relative DSN 0 stands for (IDSN when the key is known). */
  base: bigint | null = null;
  baseFromKey = false;
  /** Next relative DSN to deliver in order. */
  nextRel = 1;
  deliveredBytes = 0;
  /** Bytes whose DSNs were carried again on the same subflow (TCP retransmission or a re-send there) and on another (reinjection). */
  retransmittedBytes = 0;
  reinjectedBytes = 0;
  /** Duplicates whose first copy is no longer remembered. */
  duplicateUnattributedBytes = 0;
  readonly reinjections = new Map<string, Reinjection>();
  /** Segments that arrived ahead of a gap, and the bytes that did. */
  outOfOrderSegments = 0;
  outOfOrderBytes = 0;
  /** Bytes × head-of-line delay histogram (HOL_BUCKETS), and totals. */
  readonly holBytes = new Array<number>(HOL_BUCKETS.length).fill(0);
  holDelaySumSec = 0;
  holDelayMaxSec = 0;
  maxRelEnd = 1;
  dataFinRel: number | null = null;
  /** Highest data ACK seen for this direction (relative), and when. */
  dataAckRel: number | null = null;
  dataAckTime: number | null = null;
  /** Cumulative delivered bytes over time: [t, bytes], at most one point per ms (coarser when long). */
  private readonly deliverySeries = new Series(0.001);
  get delivery(): ReadonlyArray<readonly [number, number]> {
    return this.deliverySeries.points;
  }
  private ranges: Range[] = [];
  private pending: Pending[] = [];
  sink: DataSink | null = null;
  /** Last absolute DSN seen in a mapping: the reference for widening 32-bit DSNs. */
  lastDsnAbs: bigint | null = null;
  /** Last absolute data ACK for this direction's data (the reference for 32-bit ACKs). */
  lastAckAbs: bigint | null = null;
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

  /** Relative DSN of an absolute one; sets the base from the first DSN when no key is known. */
  rel(abs: bigint): number {
    if (this.base === null) this.base = abs - 1n;
    return Number(BigInt.asIntN(64, abs - this.base));
  }

  /**
   * A segment's payload placed at relative DSN `start`. `bytes` is the captured part (a view,
   * copied only if kept); `len` the bytes it stands for (more than captured with a snaplen).
   */
  add(start: number, len: number, bytes: Uint8Array, subflow: number, time: number): void {
    if (len <= 0) return;
    const end = start + len;
    if (this.firstTime === null) this.firstTime = time;
    this.lastTime = time;
    if (end > this.maxRelEnd) this.maxRelEnd = end;
    // Duplicate detection against what was already received.
    let fresh = len;
    for (let i = this.findFirstOverlap(start); i < this.ranges.length; i++) {
      const r = this.ranges[i] as Range;
      if (r.start >= end) break;
      const ov = Math.min(end, r.end) - Math.max(start, r.start);
      if (ov <= 0) continue;
      fresh -= ov;
      if (r.subflow === subflow) this.retransmittedBytes += ov;
      else {
        this.reinjectedBytes += ov;
        const key = `${r.subflow}>${subflow}`;
        const e = this.reinjections.get(key) ?? { fromSubflow: r.subflow, toSubflow: subflow, bytes: 0, maxDelaySec: 0, count: 0 };
        e.bytes += ov;
        e.count++;
        e.maxDelaySec = Math.max(e.maxDelaySec, time - r.time);
        this.reinjections.set(key, e);
      }
    }
    if (start < this.prunedBelow) {
      const gone = Math.min(end, this.prunedBelow) - start;
      // Bytes below the pruned point were received (they were delivered): duplicates we can no
      // longer attribute to a subflow.
      this.duplicateUnattributedBytes += gone;
      fresh -= gone;
    }
    if (fresh <= 0) return;
    this.insertRange({ start, end, subflow, time });
    if (start > this.nextRel) {
      this.outOfOrderSegments++;
      this.outOfOrderBytes += len;
      this.pending.push({ start, end, time, bytes: this.sink ? bytes.slice(0, Math.min(bytes.length, len)) : null });
    } else if (end > this.nextRel) {
      // in order (possibly overlapping what was delivered): deliver the new part now
      const skip = this.nextRel - start;
      if (this.sink) this.writeSink(bytes, skip, len);
      this.holBytes[0] = (this.holBytes[0] as number) + (end - this.nextRel);
      this.deliveredBytes += end - this.nextRel;
      this.nextRel = end;
      this.drainPending(time);
      this.record(time);
    }
    this.prune();
  }

  private record(time: number): void {
    this.deliverySeries.push(time, this.deliveredBytes);
  }

  private writeSink(bytes: Uint8Array, skip: number, len: number): void {
    const sink = this.sink as DataSink;
    if (skip < bytes.length) sink.write(bytes.subarray(skip, Math.min(bytes.length, len)));
    // A snaplen cut the payload: the missing tail is written as zeros and counted, so that what
    // follows stays at its place; the caller fails unless zero-filling was asked for.
    if (bytes.length < len) {
      const lost = len - Math.max(skip, bytes.length);
      this.snapLost += lost;
      sink.write(new Uint8Array(lost));
    }
  }

  /** Payload bytes the capture did not hold (snaplen) inside delivered ranges. */
  snapLost = 0;

  private drainPending(time: number): void {
    if (this.pending.length === 0) return;
    this.pending.sort((a, b) => a.start - b.start);
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (let i = 0; i < this.pending.length; i++) {
        const p = this.pending[i] as Pending;
        if (p.start > this.nextRel) break;
        this.pending.splice(i, 1);
        i--;
        if (p.end > this.nextRel) {
          const newBytes = p.end - this.nextRel;
          if (this.sink && p.bytes) this.writeSink(p.bytes, this.nextRel - p.start, p.end - p.start);
          const delay = time - p.time;
          this.holDelaySumSec += delay * newBytes;
          if (delay > this.holDelayMaxSec) this.holDelayMaxSec = delay;
          let b = 0;
          while (delay > (HOL_BUCKETS[b] as number)) b++;
          this.holBytes[b] = (this.holBytes[b] as number) + newBytes;
          this.deliveredBytes += newBytes;
          this.nextRel = p.end;
          progressed = true;
          this.record(time);
        }
      }
    }
  }

  private prunedBelow = 0;

  private prune(): void {
    // forget ranges well behind the in-order point
    const behind = this.findFirstOverlap(this.nextRel);
    if (behind > MAX_RANGES_BEHIND) {
      const drop = behind - MAX_RANGES_BEHIND / 2;
      this.prunedBelow = Math.max(this.prunedBelow, (this.ranges[drop - 1] as Range).end);
      this.ranges.splice(0, drop);
    }
  }

  private findFirstOverlap(start: number): number {
    let lo = 0;
    let hi = this.ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.ranges[mid] as Range).end <= start) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Insert the parts of [start,end) not yet covered, merging with same-subflow neighbours. */
  private insertRange(r: Range): void {
    const out: Range[] = [];
    let cur = r.start;
    const i0 = this.findFirstOverlap(r.start);
    let i = i0;
    for (; i < this.ranges.length; i++) {
      const x = this.ranges[i] as Range;
      if (x.start >= r.end) break;
      if (x.start > cur) out.push({ start: cur, end: x.start, subflow: r.subflow, time: r.time });
      cur = Math.max(cur, x.end);
    }
    if (cur < r.end) out.push({ start: cur, end: r.end, subflow: r.subflow, time: r.time });
    if (out.length === 0) return;
    // splice the new pieces in, keeping order; merge with the neighbour before if contiguous
    let at = i0;
    for (const piece of out) {
      while (at < this.ranges.length && (this.ranges[at] as Range).start < piece.start) at++;
      const prev = this.ranges[at - 1];
      // merge with the neighbour from the same subflow sent at (nearly) the same time: a
      // reinjection delay is then measured from the first copy within MERGE_WINDOW_SEC
      if (prev && prev.end === piece.start && prev.subflow === piece.subflow && piece.time - prev.time < MERGE_WINDOW_SEC) {
        prev.end = piece.end;
      } else {
        this.ranges.splice(at, 0, piece);
        at++;
      }
    }
  }

  /** DSN ranges never seen up to the highest byte received (or the DATA_FIN). */
  holes(): Hole[] {
    const end = Math.max(this.maxRelEnd, this.dataFinRel ?? 0);
    const out: Hole[] = [];
    let cur = this.nextRel;
    const sorted = [...this.pending].sort((a, b) => a.start - b.start);
    for (const p of sorted) {
      if (p.start > cur) out.push({ start: cur, end: p.start });
      cur = Math.max(cur, p.end);
    }
    if (cur < end) out.push({ start: cur, end });
    return out;
  }

  /** Write what is left (bytes after holes), zero-filling the holes when asked. */
  flush(fillHoles: boolean): void {
    if (!this.sink) return;
    const sorted = [...this.pending].sort((a, b) => a.start - b.start);
    let cur = this.nextRel;
    for (const p of sorted) {
      if (p.end <= cur) continue;
      if (p.start > cur) {
        if (!fillHoles) return;
        this.sink.write(new Uint8Array(p.start - cur));
        cur = p.start;
      }
      if (p.bytes) this.writeSink(p.bytes, cur - p.start, p.end - p.start);
      cur = p.end;
    }
    const finEnd = this.dataFinRel ?? cur;
    if (fillHoles && finEnd > cur) this.sink.write(new Uint8Array(finEnd - cur));
  }

  /** Highest data ACK for this direction (acks come from the other side). */
  ack(rel: number, time: number): void {
    if (this.dataAckRel === null || rel > this.dataAckRel) {
      this.dataAckRel = rel;
      this.dataAckTime = time;
    }
  }
}
