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
import { DelayStats } from './stats.js';
import type { DataDirectionResult, Reinjection, SideName } from './model.js';

/** Reinjections listed one by one per direction (all are counted). */
export const REINJECTIONS_LISTED = 1000;
/** First transmissions kept after delivery, to find what a later reinjection copies. */
const KEPT_SENT = 65536;
/** Out-of-order DSN ranges held at the receiver; beyond it the oldest gap is skipped. */
const MAX_OOO = 4096;

export class DataDirection {
  readonly delay = new DelayStats();
  bytesMeasured = 0;
  reinjections = 0;
  useful = 0;
  wasted = 0;
  readonly list: Reinjection[] = [];
  senderSide: SideName = 'A';
  // first transmissions: [start, end) at time t (ns) on tcp.stream, arrival ns (or NaN) at the receiver
  private readonly sStart: number[] = [];
  private readonly sEnd: number[] = [];
  private readonly sTime: number[] = [];
  private readonly sStream: number[] = [];
  private readonly sArrival: number[] = [];
  private sHead = 0; // first not yet delivered
  private maxSent: number | null = null;
  // receiver
  private frontier: number | null = null;
  private readonly ooo: number[] = []; // flat [start, end, start, end, ...], sorted
  private readonly evFrontier: number[] = [];
  private readonly evTime: number[] = [];
  private evHead = 0;

  constructor(
    readonly direction: 'c2s' | 's2c',
    /** ns → seconds since the comparison's origin (applied when results are made). */
    private readonly toSec: (ns: number) => number,
  ) {}

  /** A data segment at the sender's capture; `arrivalNs` when its copy reached the receiver's capture. */
  sent(dsn: number, len: number, tNs: number, stream: number, arrivalNs: number): void {
    const end = dsn + len;
    const max = this.maxSent ?? dsn;
    if (end > max) {
      this.sStart.push(Math.max(dsn, max));
      this.sEnd.push(end);
      this.sTime.push(tNs);
      this.sStream.push(stream);
      this.sArrival.push(arrivalNs);
      this.maxSent = end;
      this.trim();
    }
    if (dsn < max) {
      const i = this.find(dsn);
      if (i >= 0 && this.sStream[i] !== stream) this.reinjected(i, dsn, len, tNs, stream, arrivalNs);
    }
    this.resolve();
  }

  /** A data segment at the receiver's capture. */
  received(dsn: number, len: number, tNs: number): void {
    const end = dsn + len;
    if (this.frontier === null) this.frontier = dsn;
    const before = this.frontier;
    if (dsn <= this.frontier) {
      if (end > this.frontier) this.frontier = end;
    } else {
      this.insertOoo(dsn, end);
    }
    const ooo = this.ooo;
    let k = 0;
    while (k < ooo.length && (ooo[k] as number) <= this.frontier) {
      if ((ooo[k + 1] as number) > this.frontier) this.frontier = ooo[k + 1] as number;
      k += 2;
    }
    if (k > 0) ooo.splice(0, k);
    if (this.frontier > before) {
      this.evFrontier.push(this.frontier);
      this.evTime.push(tNs);
      this.resolve();
    }
  }

  private insertOoo(start: number, end: number): void {
    const ooo = this.ooo;
    let i = 0;
    while (i < ooo.length && (ooo[i] as number) < start) i += 2;
    ooo.splice(i, 0, start, end);
    // merge neighbours that touch
    let j = Math.max(0, i - 2);
    while (j + 2 < ooo.length) {
      if ((ooo[j + 2] as number) <= (ooo[j + 1] as number)) {
        ooo[j + 1] = Math.max(ooo[j + 1] as number, ooo[j + 3] as number);
        ooo.splice(j + 2, 2);
      } else if (j > i) break;
      else j += 2;
    }
    if (ooo.length > MAX_OOO * 2) {
      // the oldest gap is skipped: the receiver's capture never showed it
      this.frontier = ooo[1] as number;
      ooo.splice(0, 2);
    }
  }

  /** Pair first transmissions with the frontier advance that delivered them. */
  private resolve(): void {
    while (this.sHead < this.sEnd.length && this.evHead < this.evFrontier.length) {
      const f = this.evFrontier[this.evHead] as number;
      const end = this.sEnd[this.sHead] as number;
      if (f >= end) {
        const t = this.sTime[this.sHead] as number;
        const us = Math.round(((this.evTime[this.evHead] as number) - t) / 1000);
        this.delay.add(this.toSec(t), us);
        this.bytesMeasured += end - (this.sStart[this.sHead] as number);
        this.sHead++;
      } else {
        this.evHead++;
      }
    }
    if (this.evHead > 1024) {
      this.evFrontier.splice(0, this.evHead);
      this.evTime.splice(0, this.evHead);
      this.evHead = 0;
    }
  }

  private trim(): void {
    const drop = this.sHead - KEPT_SENT;
    if (drop < 4096) return;
    for (const a of [this.sStart, this.sEnd, this.sTime, this.sStream, this.sArrival]) a.splice(0, drop);
    this.sHead -= drop;
  }

  /** Index of the first transmission holding byte `dsn`, -1 when no longer kept. */
  private find(dsn: number): number {
    let lo = 0;
    let hi = this.sStart.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((this.sEnd[mid] as number) <= dsn) lo = mid + 1;
      else if ((this.sStart[mid] as number) > dsn) hi = mid - 1;
      else return mid;
    }
    return -1;
  }

  private reinjected(i: number, dsn: number, len: number, tNs: number, stream: number, arrivalNs: number): void {
    this.reinjections++;
    const orig = this.sArrival[i] as number;
    const origOk = !Number.isNaN(orig);
    const reinjOk = !Number.isNaN(arrivalNs);
    let firstArrived: Reinjection['firstArrived'];
    let verdict: Reinjection['verdict'];
    if (!origOk && !reinjOk) {
      firstArrived = 'neither';
      verdict = 'lost';
    } else if (origOk && (!reinjOk || orig <= arrivalNs)) {
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
        originalSubflow: this.sStream[i] as number,
        reinjectionSubflow: stream,
        originalArrival: origOk ? this.toSec(orig) : null,
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

export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
