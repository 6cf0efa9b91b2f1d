/**
 * One direction of an MPTCP connection at the data level: every payload byte placed at its data
 * sequence number, whatever subflow carried it. (What it counts and lists is data-tally.ts.)
 *
 * Relative DSNs are plain numbers (offsets from the IDSN, so the first data byte is 1): exact up
 * to 2^53 bytes, which no capture reaches.
 *
 * The DSN space is in two parts. Behind the in-order point: contiguous ranges, received (for
 * duplicate and reinjection attribution) or gaps the point moved past, in a ring
 * (behind-ring.ts), forgotten beyond MAX_RANGES_BEHIND. Ahead of it: the segments held after a
 * gap ("pending", with a copy of their bytes only when this direction is extracted), in an
 * ordered list of disjoint intervals (held-segments.ts: a skip list in typed arrays, O(log n)).
 * What is held ahead is capped (per stream and in a budget shared by the streams that were given
 * the same BufferBudget); past a cap the oldest gap is skipped and reported, never silently.
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
import type { Hole } from './data-records.js';
import { Behind } from './behind-ring.js';
import { NONE } from './held-segments.js';
import type { Clock } from './clock.js';
import { DataPlacement, MAX_ACK_LEAD, MAX_REL, PROOF_GRACE_SEC } from './data-placement.js';

export { BufferBudget, HOL_BUCKETS } from './data-records.js';
export type { DataSink, DataStreamLimits, Gap, Hole, Reinjection } from './data-records.js';
export { MAX_LISTED_GAPS } from './data-tally.js';

export class DataStream extends DataPlacement {
  /** A DATA_FIN at relative DSN `rel` (the DSN its byte takes), seen in `frame`. */
  dataFin(rel: number, frame: number): void {
    // a DATA_FIN a whole window beyond every byte seen is corrupt (and would ask --fill-holes for
    // petabytes of zeros)
    if (!(Math.abs(rel) < MAX_REL) || rel - Math.max(this.maxRelEnd, this.nextRel) > MAX_ACK_LEAD) return;
    if (this.finFirst !== null) {
      this.conflictingDataFin(rel, frame);
      return;
    }
    this.finFirst = rel;
    this.dataFinConflicts.length = 0;
    this.finFirstFrame = frame;
    this.trimTailGap(rel);
  }

  /** Highest data ACK for this direction (acks come from the other side); `frame` when known. */
  ack(rel: number, now: Clock, frame: number | null = null): void {
    if (!(Math.abs(rel) < MAX_REL)) return; // a corrupt ACK petabytes away: not a position
    const time = now.time;
    if (!(rel <= this.dataAckRelAt)) { // (true while NaN: no data ACK yet)
      this.dataAckRelAt = rel;
      this.dataAckTimeAt = time;
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

  protected applyProof(): void {
    // The DATA_FIN's own byte is not data (known by now if it was captured).
    const fin = this.finFirst === null ? null : this.dataFinRel;
    let upTo = fin !== null && fin < this.provenTo ? fin : this.provenTo;
    // An ACK exactly one past the last byte received, no DATA_FIN seen: it acknowledges a
    // DATA_FIN the capture missed (a one-byte data gap at the very end is far less likely).
    if (fin === null && upTo === this.maxRelEnd + 1) upTo = this.maxRelEnd;
    this.provenTo = 0;
    if (upTo <= this.nextRel) return;
    this.skipTo(upTo, Behind.NotCaptured, this.provenAt, this.provenFrame);
    this.prune();
  }

  /** DSN ranges never seen up to the highest byte received (or the DATA_FIN), gaps moved past excluded. */
  holes(): Hole[] {
    return this.holesSeenAfter().map(({ start, end }) => ({ start, end }));
  }

  /**
   * holes(), each with when the bytes just after it were received (capture time; null for a
   * hole up to the DATA_FIN): for live capture, which names the holes that fall where libpcap
   * counted drops (src/live/drop-windows.ts).
   */
  holesSeenAfter(): Array<Hole & { seenAfter: number | null }> {
    this.settle();
    const end = Math.max(this.maxRelEnd, this.dataFinRel ?? 0);
    const out: Array<Hole & { seenAfter: number | null }> = [];
    let cur = this.nextRel;
    const h = this.held;
    for (let p = h.first(); p !== NONE; p = h.next(p)) {
      if (h.start(p) > cur) out.push({ start: cur, end: h.start(p), seenAfter: h.time(p) });
      cur = h.end(p);
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
    const h = this.held;
    for (let p = h.first(); p !== NONE; p = h.next(p)) {
      if (this.sinkStoppedAt !== null) return;
      const pStart = h.start(p);
      const pEnd = h.end(p);
      if (pStart > cur) {
        if (!fillHoles) {
          this.sinkStoppedAt = cur;
          return;
        }
        this.missing(cur, pStart - cur, true);
      }
      const n = pEnd - pStart;
      this.countSnapLost(n, h.captured(p));
      const view = h.copy(p) ?? new Uint8Array(0);
      if (view.length > 0) sink.write(view);
      if (view.length < n) this.missing(pStart + view.length, n - view.length, fillHoles);
      cur = pEnd;
    }
    const finEnd = this.dataFinRel ?? cur;
    if (finEnd > cur && this.sinkStoppedAt === null) {
      if (fillHoles) this.missing(cur, finEnd - cur, true);
      else this.sinkStoppedAt = cur;
    }
  }
}
