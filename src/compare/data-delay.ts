/**
 * The data level of one direction of a matched connection: per segment of first transmission at
 * the sender's capture, the delay until the receiver's capture shows every byte of it delivered in
 * order (its data-level frontier passed the segment's end); and for each reinjection (a DSN range
 * sent again on another subflow) which copy reached the receiver's capture first.
 *
 * Fed in each side's time order (by the matcher, when a packet's window closes), so the two
 * queues hold only what the window holds: first transmissions not yet delivered (plus the last
 * KEPT_SENT for reinjection look-ups) and frontier advances not yet used.
 */
import { PIECE_ARRIVAL, PIECE_CARRIED, PIECE_END, PIECE_START, PIECE_STREAM, SentPieces } from './sent-pieces.js';
import { DelayStats } from './stats.js';
import type { DataDirectionResult, Reinjection, SideName } from './model.js';

/** Slots of a DataDirection's `io`. */
export const IO_DSN = 0;
export const IO_T = 1;
export const IO_PEER = 2;
/** Reinjections listed one by one per direction (all are counted). */
export const REINJECTIONS_LISTED = 1000;
/** First-transmission pieces kept, to find what a later reinjection copies (the oldest are dropped). */
const KEPT_SENT = 65536;
/** Out-of-order DSN ranges held at the receiver; beyond it the oldest gap is skipped. */
const MAX_OOO = 4096;
/** Frontier advances kept for first transmissions read after their delivery. */
const KEPT_EVENTS = 65536;
/** A receiver whose first data byte is below this relative DSN saw the stream from its start. */
const FROM_START = 1 << 24;

export class DataDirection {
  readonly delay = new DelayStats();
  bytesMeasured = 0;
  reinjections = 0;
  useful = 0;
  wasted = 0;
  /** First transmissions whose delivery could not be timed (the frontier advance was no longer kept). */
  unmeasured = 0;
  readonly list: Reinjection[] = [];
  senderSide: SideName = 'A';
  // pieces of first transmission, disjoint, by start: [start, end) first sent on tcp.stream
  // `stream`; `arrival` (ns, NaN = never) of that copy at the receiver's capture
  private readonly pieces = new SentPieces();
  /** Everything below was sent (pieces dropped past KEPT_SENT). */
  private floor = -Infinity;
  // first transmissions not yet delivered, by end (pieces are disjoint: ends are unique): those
  // sent past every end queued before (nearly all: data goes out in DSN order) in a FIFO, the
  // others in a binary heap; delivered in end order from whichever holds the lower one
  private readonly fEnd: number[] = [];
  private readonly fStart: number[] = [];
  private readonly fTime: number[] = [];
  private fHead = 0;
  private readonly hEnd: number[] = [];
  private readonly hStart: number[] = [];
  private readonly hTime: number[] = [];
  // receiver
  /** The receiver's in-order point (NaN until its first data): a number field, never null, so storing it allocates nothing. */
  private frontier = NaN;
  private readonly ooo: number[] = []; // flat [start, end, opened, start, end, opened, ...], sorted
  private readonly evFrontier: number[] = [];
  private readonly evTime: number[] = [];
  private gapSinceNs = 0;
  /** Gaps in the receiver's data the receiver's capture never filled within the window (skipped). */
  skippedGaps = 0;

  constructor(
    readonly direction: 'c2s' | 's2c',
    /** A gap at the receiver open longer than this (ns) is skipped. */
    private readonly windowNs: number,
    /** ns → seconds since the base (the origin is applied when results are made). */
    private readonly toSec: (ns: number) => number,
    /** The segment's DSN, time (ns) and arrival (ns) for `sent` / `received`, written by the caller (doubles passed as arguments would be heap numbers). */
    private readonly io: Float64Array = new Float64Array(3),
  ) {}

  /**
   * A data segment at the sender's capture: DSN io[IO_DSN], time io[IO_T], and io[IO_PEER] when
   * its copy reached the receiver's capture (NaN: never).
   */
  sent(len: number, stream: number): void {
    const io = this.io;
    const dsn = io[IO_DSN]!;
    const tNs = io[IO_T]!;
    const end = dsn + len;
    const ps = this.pieces;
    let cur = Math.max(dsn, this.floor);
    // most segments are new data past everything sent: no search
    let on = ps.size > 0 && ps.lastEnd() > cur && ps.seek(cur);
    let checked = false;
    const bit = 1 << (stream & 31);
    while (cur < end) {
      if (on && ps.atStart() <= cur) {
        // sent before: a retransmission, or a reinjection when first sent on another subflow
        // (a retransmission of a reinjection on the same subflow is no new one)
        if (!checked && ps.atStream() !== stream && (ps.atCarried() & bit) === 0) {
          ps.setCarried(ps.atCarried() | bit);
          this.reinjected(ps.atStream(), ps.atArrival(), dsn, len, tNs, stream, io[IO_PEER]!);
        }
        checked = true;
        cur = ps.atEnd();
        on = ps.advance();
      } else {
        const gapEnd = on && ps.atStart() < end ? ps.atStart() : end;
        const nf = ps.newF64;
        nf[PIECE_START] = cur;
        nf[PIECE_END] = gapEnd;
        nf[PIECE_ARRIVAL] = io[IO_PEER]!;
        ps.newI32[PIECE_STREAM] = stream;
        ps.newI32[PIECE_CARRIED] = bit;
        ps.insert(on);
        this.firstSent(cur, gapEnd, tNs);
        cur = gapEnd;
      }
    }
    while (ps.size > KEPT_SENT) this.floor = ps.shift();
  }

  private firstSent(start: number, end: number, tNs: number): void {
    if (!Number.isNaN(this.frontier) && end <= this.frontier) {
      // delivered already (the receiver's side was read first): when the frontier first passed `end`
      const ev = this.evFrontier;
      let lo = 0;
      let hi = ev.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((ev[mid] as number) < end) lo = mid + 1;
        else hi = mid;
      }
      if (lo < ev.length && (lo > 0 || (ev[0] as number) >= end)) this.measured(start, end, tNs, this.evTime[lo] as number);
      else this.unmeasured++;
      return;
    }
    const f = this.fEnd;
    if (this.fHead === f.length || end > (f[f.length - 1] as number)) {
      f.push(end);
      this.fStart.push(start);
      this.fTime.push(tNs);
    } else heapPush(this.hEnd, this.hStart, this.hTime, end, start, tNs);
  }

  private measured(start: number, end: number, sentNs: number, deliveredNs: number): void {
    const us = Math.round((deliveredNs - sentNs) / 1000);
    if (this.delay.count1(us)) this.delay.point(this.toSec(sentNs), us);
    this.bytesMeasured += end - start;
  }

  /** A data segment at the receiver's capture: DSN io[IO_DSN], time io[IO_T]. */
  received(len: number): void {
    const dsn = this.io[IO_DSN]!;
    const tNs = this.io[IO_T]!;
    const end = dsn + len;
    // relative DSNs start at 1; a capture that began later starts where it began
    if (Number.isNaN(this.frontier)) this.frontier = dsn <= FROM_START ? 1 : dsn;
    const before = this.frontier;
    if (dsn <= this.frontier) {
      if (end > this.frontier) this.frontier = end;
    } else {
      if (this.ooo.length === 0) this.gapSinceNs = tNs;
      this.insertOoo(dsn, end, tNs);
    }
    this.absorb();
    const byData = this.frontier > before;
    // a gap the receiver's capture has not filled within the window never will be: skip it, and
    // every later one already older than the window (one skip per window would let the frontier
    // fall ever further behind when the receiver's capture misses packets, and the queues grow)
    let skipped = false;
    while (this.ooo.length > 0 && (tNs - this.gapSinceNs > this.windowNs || this.ooo.length > MAX_OOO * 3)) {
      this.skippedGaps++;
      skipped = true;
      this.frontier = Math.max(this.frontier, this.ooo[0] as number);
      this.absorb();
      // the next gap has been known since the range after it was first received
      if (this.ooo.length > 0) this.gapSinceNs = this.ooo[2] as number;
    }
    // the receiver's data moved it: what is still missing waits a window from now
    if (byData && !skipped) this.gapSinceNs = tNs;
    if (this.frontier > before) {
      this.evFrontier.push(this.frontier);
      this.evTime.push(tNs);
      if (this.evFrontier.length > KEPT_EVENTS * 2) {
        this.evFrontier.splice(0, KEPT_EVENTS);
        this.evTime.splice(0, KEPT_EVENTS);
      }
      this.deliver(tNs);
      this.compactFifo();
    }
  }

  /** First transmissions not yet delivered. */
  get queued(): number {
    return this.fEnd.length - this.fHead + this.hEnd.length;
  }

  /** Every first transmission the frontier has passed was delivered at `tNs`, in end order. */
  private deliver(tNs: number): void {
    const f = this.fEnd;
    const h = this.hEnd;
    for (;;) {
      const fromFifo = this.fHead < f.length && (h.length === 0 || (f[this.fHead] as number) < (h[0] as number));
      if (fromFifo) {
        const k = this.fHead;
        if ((f[k] as number) > this.frontier) return;
        this.measured(this.fStart[k] as number, f[k] as number, this.fTime[k] as number, tNs);
        this.fHead++;
      } else {
        if (h.length === 0 || (h[0] as number) > this.frontier) return;
        this.measured(this.hStart[0] as number, h[0] as number, this.hTime[0] as number, tNs);
        heapPop(h, this.hStart, this.hTime);
      }
    }
  }

  /** Drop the FIFO's delivered entries once they are most of it. */
  private compactFifo(): void {
    const k = this.fHead;
    if (k < 4096 || k * 2 < this.fEnd.length) return;
    this.fEnd.splice(0, k);
    this.fStart.splice(0, k);
    this.fTime.splice(0, k);
    this.fHead = 0;
  }

  /** The frontier moved: take in the out-of-order ranges it reached. */
  private absorb(): void {
    const ooo = this.ooo;
    let k = 0;
    while (k < ooo.length && (ooo[k] as number) <= this.frontier) {
      if ((ooo[k + 1] as number) > this.frontier) this.frontier = ooo[k + 1] as number;
      k += 3;
    }
    if (k > 0) ooo.splice(0, k);
  }

  /**
   * Add [start, end), received at `tNs`, to the sorted, disjoint out-of-order ranges (most often at
   * or past the last one); a merged range keeps the earlier time.
   */
  private insertOoo(start: number, end: number, tNs: number): void {
    const ooo = this.ooo;
    const n = ooo.length;
    if (n === 0 || start > (ooo[n - 2] as number)) {
      ooo.push(start, end, tNs);
      return;
    }
    if (start >= (ooo[n - 3] as number)) {
      if (end > (ooo[n - 2] as number)) ooo[n - 2] = end;
      return;
    }
    // binary search for the first range starting at or after `start`
    let lo = 0;
    let hi = n / 3;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((ooo[mid * 3] as number) < start) lo = mid + 1;
      else hi = mid;
    }
    const i = lo * 3;
    ooo.splice(i, 0, start, end, tNs);
    // merge with the neighbours it touches
    let j = Math.max(0, i - 3);
    while (j + 3 < ooo.length) {
      if ((ooo[j + 3] as number) <= (ooo[j + 1] as number)) {
        ooo[j + 1] = Math.max(ooo[j + 1] as number, ooo[j + 4] as number);
        ooo[j + 2] = Math.min(ooo[j + 2] as number, ooo[j + 5] as number);
        ooo.splice(j + 3, 3);
      } else if (j > i) break;
      else j += 3;
    }
  }

  private reinjected(origStream: number, origNs: number, dsn: number, len: number, tNs: number, stream: number, arrivalNs: number): void {
    this.reinjections++;
    const origOk = !Number.isNaN(origNs);
    const reinjOk = !Number.isNaN(arrivalNs);
    let firstArrived: Reinjection['firstArrived'];
    let verdict: Reinjection['verdict'];
    if (!origOk && !reinjOk) {
      firstArrived = 'neither';
      verdict = 'lost';
    } else if (origOk && (!reinjOk || origNs <= arrivalNs)) {
      firstArrived = 'original';
      verdict = 'wasted';
      this.wasted++;
    } else {
      firstArrived = 'reinjection';
      verdict = 'useful';
      this.useful++;
    }
    if (this.list.length < REINJECTIONS_LISTED) {
      this.list.push({
        dsn,
        lenBytes: len,
        time: this.toSec(tNs),
        originalSubflow: origStream,
        reinjectionSubflow: stream,
        originalArrival: origOk ? this.toSec(origNs) : null,
        reinjectionArrival: reinjOk ? this.toSec(arrivalNs) : null,
        firstArrived,
        verdict,
      });
    }
  }

  result(originSec: number): DataDirectionResult {
    return {
      direction: this.direction,
      senderSide: this.senderSide,
      bytesMeasured: this.bytesMeasured,
      delay: this.delay.summary(),
      series: { time: this.delay.seriesTime.map((t) => round6(t - originSec)), delayUs: [...this.delay.seriesUs] },
      reinjections: this.reinjections,
      useful: this.useful,
      wasted: this.wasted,
      reinjectionList: this.list.map((r) => ({
        ...r,
        time: round6(r.time - originSec),
        originalArrival: r.originalArrival === null ? null : round6(r.originalArrival - originSec),
        reinjectionArrival: r.reinjectionArrival === null ? null : round6(r.reinjectionArrival - originSec),
      })),
    };
  }
}

function heapPush(k: number[], a: number[], b: number[], key: number, va: number, vb: number): void {
  let i = k.length;
  k.push(key);
  a.push(va);
  b.push(vb);
  while (i > 0) {
    const p = (i - 1) >> 1;
    if ((k[p] as number) <= key) break;
    k[i] = k[p] as number;
    a[i] = a[p] as number;
    b[i] = b[p] as number;
    i = p;
  }
  k[i] = key;
  a[i] = va;
  b[i] = vb;
}

/** Remove the smallest (read it first at index 0). */
function heapPop(k: number[], a: number[], b: number[]): void {
  const lk = k.pop() as number;
  const la = a.pop() as number;
  const lb = b.pop() as number;
  const n = k.length;
  if (n > 0) {
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && (k[c + 1] as number) < (k[c] as number)) c++;
      if ((k[c] as number) >= lk) break;
      k[i] = k[c] as number;
      a[i] = a[c] as number;
      b[i] = b[c] as number;
      i = c;
    }
    k[i] = lk;
    a[i] = la;
    b[i] = lb;
  }
}

export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
