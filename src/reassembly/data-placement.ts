/**
 * How a data-level direction places bytes by relative DSN (data-stream.ts adds the DATA_ACK
 * proofs, the DATA_FIN and what is left at the end; data-tally.ts what is counted).
 *
 * The DSN space is in two parts. Behind the in-order point: contiguous ranges, received (for
 * duplicate and reinjection attribution) or gaps the point moved past, in a ring
 * (behind-ring.ts), forgotten beyond MAX_RANGES_BEHIND. Ahead of it: the segments held after a
 * gap, with a copy of their bytes only when this direction is extracted (held-segments.ts,
 * O(log n)), under caps; past a cap the oldest gap is skipped and reported, never silently.
 *
 * Out of order / head-of-line delay are counted at delivery, by what made the bytes deliverable:
 * a fill counts; a DATA_ACK proof counts only the bytes the receiver's ACKs show waited (see
 * releasedByCaptureGapBytes); a cap skip does not.
 */
import {
  BufferBudget,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_BUFFERED_SEGMENTS,
  type DataSink,
  type DataStreamLimits,
  type Gap,
} from './data-records.js';
import { Behind, BehindRing } from './behind-ring.js';
import { DataTally } from './data-tally.js';
import { storeAsDoubles } from '../dissect/double-fields.js';
import { HeldSegments, NONE } from './held-segments.js';
import type { Clock } from './clock.js';

/** Contiguous ranges from one subflow are merged when sent within this long of each other. */
const MERGE_WINDOW_SEC = 0.0002;

/** Ranges kept behind the in-order point for reinjection attribution. */
const MAX_RANGES_BEHIND = 4096;

/**
 * A DATA_ACK proof is applied this long (capture time) after it was seen, or sooner under a cap
 * or at the end: captures merged from several interfaces are not always in time order (the public
 * websiteloaded.pcap has data up to 22 ms older than the ACK for it, further on in the file), and
 * bytes that turn up within the grace are then placed, and extracted, in order. What the grace
 * holds is bounded by the caps (a cap applies a waiting proof before skipping anything).
 */
export const PROOF_GRACE_SEC = 0.25;

/** The most a DATA_ACK may run ahead of every DSN seen to count as a proof: one full window. */
export const MAX_ACK_LEAD = 2 ** 30;

/** Relative DSNs are exact integers only below 2^53: further ones are corrupt, and ignored. */
export const MAX_REL = 2 ** 52;

/** Zeros written in place of missing bytes come from one shared chunk (the sinks copy). */
export const ZERO_CHUNK = new Uint8Array(64 * 1024);

/**
 * What made held bytes deliverable: a real fill; the DATA_ACK proving the gap before them was
 * only missed by the capture; or a buffering cap giving up on that gap.
 */
export const enum Made {
  Fill,
  Proof,
  Skip,
}

export abstract class DataPlacement extends DataTally {
  /** Time of the latest DATA_ACK at the in-order point: the receiver still lacked the gap then. */
  protected stillMissingAt = -Infinity;
  /** A DATA_ACK proof not applied yet (PROOF_GRACE_SEC): up to where, since when, which frame. */
  protected provenTo = 0;
  protected provenAt = 0;
  protected provenFrame: number | null = null;
  /** The last proofDelay was the wait for the proof itself (not for a later piece). */
  private waitedForProof = false;
  /** Latest arrival among the pieces a proof has released so far (see proofDelay). */
  private proofFillReady = -Infinity;

  protected readonly behind = new BehindRing();
  protected readonly held: HeldSegments;
  private prunedBelow = 0;

  /** Move the in-order point past what the DATA_ACKs proved (data-stream.ts). */
  protected abstract applyProof(): void;

  constructor(limits: Partial<DataStreamLimits> = {}) {
    super();
    storeAsDoubles(this, ['provenTo', 'provenAt', 'prunedBelow']);
    this.held = new HeldSegments({
      maxBufferedBytes: limits.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
      maxBufferedSegments: limits.maxBufferedSegments ?? DEFAULT_MAX_BUFFERED_SEGMENTS,
      // A stream given no budget has its own: then only the per-stream caps bind.
      budget: limits.budget ?? new BufferBudget(),
    });
  }

  /**
   * A segment's payload placed at relative DSN `start`. `bytes` is the captured part (a view,
   * copied only if kept); `len` the bytes it stands for (more than captured with a snaplen).
   * `capturedLen` says how many were captured when `bytes` is not given (no sink: the bytes are
   * not needed, so the caller need not make a view per packet).
   */
  add(start: number, len: number, bytes: Uint8Array, subflow: number, now: Clock, capturedLen = bytes.length): void {
    // (the caller keeps DSNs within ±2^52 of the start; anything else would lose integer precision)
    if (len <= 0 || !(Math.abs(start) < MAX_REL)) return;
    const end = start + len;
    const time = now.time;
    if (this.provenTo > this.nextRel && time >= this.provenAt + PROOF_GRACE_SEC) this.applyProof();
    if (Number.isNaN(this.firstTimeAt)) this.firstTimeAt = time;
    this.lastTimeAt = time;
    if (end > this.maxRelEnd) this.maxRelEnd = end;
    if (start === this.nextRel) {
      // The common case: in order, nothing held that it overlaps. No search.
      const h = this.held;
      const ahead = h.first();
      if (ahead === NONE || h.start(ahead) >= end) {
        this.fresh(start, end, start, bytes, subflow, now, capturedLen);
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
    while (cur < end) {
      cur = cur < this.nextRel ? this.again(cur, end, subflow, time) : this.ahead(cur, end, start, bytes, subflow, now, capturedLen);
    }
    this.enforceCaps(time);
    this.prune();
  }

  /** Bytes [cur, end) from below the in-order point: duplicates, or late bytes of a gap. Returns where it stopped. */
  private again(cur: number, end: number, subflow: number, time: number): number {
    const b = this.behind;
    const stop = Math.min(end, this.nextRel);
    let i = b.find(cur);
    while (i >= 0 && i < b.size && cur < stop) {
      const to = Math.min(stop, b.endAt(i));
      if (b.kindAt(i) === Behind.Received) {
        this.duplicate(b.subflowAt(i), b.timeAt(i), to - cur, subflow, time);
        i++;
      } else {
        this.late(i, cur, to, subflow, time);
        i = b.find(to);
      }
      cur = to;
    }
    // (the ranges behind are contiguous up to the in-order point: nothing is left, but never loop)
    if (cur < stop) this.duplicateUnattributedBytes += stop - cur;
    return stop;
  }

  /**
   * Bytes [cur, end) at or past the in-order point, of a segment that starts at `start`. Returns
   * where it stopped: at `end`, or where delivering moved the in-order point past what follows.
   */
  private ahead(cur: number, end: number, start: number, bytes: Uint8Array, subflow: number, now: Clock, capturedLen: number): number {
    const time = now.time;
    // Past everything held (the usual out-of-order arrival): nothing to overlap, no search.
    const h = this.held;
    const top = h.last();
    let node = top === NONE || h.end(top) <= cur ? NONE : h.firstEndingAfter(cur);
    while (cur < end) {
      if (node === NONE || h.start(node) >= end) {
        this.fresh(cur, end, start, bytes, subflow, now, capturedLen);
        return end;
      }
      const nodeStart = h.start(node);
      if (nodeStart > cur) {
        const delivers = cur === this.nextRel;
        this.fresh(cur, nodeStart, start, bytes, subflow, now, capturedLen);
        cur = nodeStart;
        // delivering drained `node` and what follows it: the rest is behind the point now
        if (delivers) return cur;
      }
      const ovEnd = Math.min(end, h.end(node));
      this.duplicate(h.subflow(node), h.time(node), ovEnd - cur, subflow, time);
      cur = ovEnd;
      node = h.next(node);
    }
    return cur;
  }

  /** Bytes [a, b) never received before, from a segment that starts at `segStart`. */
  private fresh(a: number, b: number, segStart: number, bytes: Uint8Array, subflow: number, now: Clock, capturedLen: number): void {
    const time = now.time;
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
      // merge with the range before from the same subflow sent at (nearly) the same time: a
      // reinjection delay is then measured from the first copy within MERGE_WINDOW_SEC
      const r = this.behind;
      const last = r.size - 1;
      if (last >= 0 && r.kindAt(last) === Behind.Received && r.subflowAt(last) === subflow && time - r.timeAt(last) < MERGE_WINDOW_SEC) r.setEndAt(last, b);
      else r.push(a, b, Behind.Received, subflow, time, null);
      // held pieces that now follow on go too (drain records the series point)
      if (this.held.segments > 0) this.drain(time, Made.Fill);
      else this.record(time);
      return;
    }
    // Ahead of a gap: held.
    const keep = this.sink !== null && this.sinkStoppedAt === null ? bytes.slice(from, to) : null;
    const h = this.held;
    h.hold(a, b, subflow, time, keep, captured);
    if (h.bytes > this.peakBufferedBytes) this.peakBufferedBytes = h.bytes;
    if (h.segments > this.peakBufferedSegments) this.peakBufferedSegments = h.segments;
  }

  /**
   * Bytes [a, b) of gap `i` behind the in-order point turned up (reordering between interfaces,
   * or a fill after a cap skip): the gap shrinks, the bytes count as delivered (they were
   * captured) but are too late for the sink.
   */
  private late(i: number, a: number, b: number, subflow: number, time: number): void {
    const r = this.behind;
    const n = b - a;
    const rec = r.gapAt(i) as Gap;
    const kind = r.kindAt(i);
    const gStart = r.startAt(i);
    const gEnd = r.endAt(i);
    const gTime = r.timeAt(i);
    rec.bytes -= n;
    if (kind === Behind.NotCaptured) this.notCapturedBytes -= n;
    else this.skippedBytes -= n;
    this.deliveredBytes += n;
    this.lateBytes += n;
    // [gStart, a) gap, [a, b) received, [b, gEnd) gap
    let at = i;
    if (gStart < a) {
      r.setEndAt(i, a);
      r.insertAt(++at, a, b, Behind.Received, subflow, time, null);
    } else r.setAt(at, a, b, Behind.Received, subflow, time, null);
    if (b < gEnd) r.insertAt(at + 1, b, gEnd, kind, 0, gTime, rec);
  }

  /**
   * Move the in-order point to `target`: every range without bytes on the way becomes a gap of
   * `kind`; held bytes on the way, and those contiguous after it, are delivered (the gap's own
   * bytes are never out of order; those released by a cap skip are not either: their wait
   * measured the cap, not the network).
   */
  protected skipTo(target: number, kind: Behind.NotCaptured | Behind.Skipped, time: number, frame: number | null): void {
    this.proofFillReady = -Infinity;
    for (;;) {
      const p = this.held.first();
      const gapEnd = p === NONE ? target : Math.min(this.held.start(p), target);
      if (gapEnd > this.nextRel) this.gap(this.nextRel, gapEnd, kind, time, frame);
      this.drain(time, kind === Behind.NotCaptured ? Made.Proof : Made.Skip);
      if (this.nextRel >= target) break;
    }
    this.record(time);
  }

  private gap(start: number, end: number, kind: Behind.NotCaptured | Behind.Skipped, time: number, frame: number | null): void {
    const n = end - start;
    const r = this.behind;
    const last = r.size - 1;
    const prev = last >= 0 && r.kindAt(last) === kind ? r.gapAt(last) : null;
    if (prev !== null && prev.end === start) {
      // The same gap growing (a DATA_ACK moving on through bytes still not captured): one record.
      r.setEndAt(last, end);
      prev.end = end;
      prev.bytes += n;
      if (kind === Behind.NotCaptured) this.notCapturedBytes += n;
      else this.skippedBytes += n;
    } else {
      const rec: Gap = { start, end, bytes: n, time, frame };
      this.countGap(rec, kind === Behind.NotCaptured);
      r.push(start, end, kind, 0, time, rec);
    }
    if (this.sink !== null) this.missing(start, n, this.fillHoles);
    this.nextRel = end;
  }

  /** A DATA_FIN learnt after an ACK moved past its byte as if it were data: give the byte back. */
  protected trimTailGap(fin: number): void {
    const r = this.behind;
    const last = r.size - 1;
    if (last < 0 || r.kindAt(last) !== Behind.NotCaptured || fin < r.startAt(last) || fin >= r.endAt(last)) return;
    const n = r.endAt(last) - fin;
    const rec = r.gapAt(last) as Gap;
    rec.bytes -= n;
    rec.end = fin;
    this.notCapturedBytes -= n;
    this.nextRel = fin;
    if (fin > r.startAt(last)) {
      r.setEndAt(last, fin);
      return;
    }
    r.popLast();
    if (rec.bytes === 0) {
      this.captureGapCount--;
      const i = this.captureGaps.indexOf(rec);
      if (i >= 0) this.captureGaps.splice(i, 1);
    }
  }

  /** Deliver the held pieces that start at the in-order point, one after another. */
  private drain(time: number, made: Made): void {
    const h = this.held;
    for (let p = h.first(); p !== NONE && h.start(p) === this.nextRel; p = h.first()) {
      const pStart = this.nextRel;
      const pEnd = h.end(p);
      const pTime = h.time(p);
      const n = pEnd - pStart;
      this.countSnapLost(n, h.captured(p));
      if (this.sink !== null) {
        const copy = h.copy(p);
        if (copy !== null) this.writeSink(copy, n, this.fillHoles);
      }
      let delay = -1;
      if (made === Made.Fill) delay = time > pTime ? time - pTime : 0;
      else if (made === Made.Proof) delay = this.proofDelay(pTime, time);
      if (delay >= 0) {
        this.waited(n, delay);
        if (made === Made.Proof && this.waitedForProof) this.releasedByCaptureGapBytes += n;
      }
      this.deliveredBytes += n;
      this.nextRel = pEnd;
      this.behind.push(pStart, pEnd, Behind.Received, h.subflow(p), pTime, null);
      h.release();
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
  private proofDelay(arrived: number, provenAt: number): number {
    const fillReady = this.proofFillReady;
    if (arrived > this.proofFillReady) this.proofFillReady = arrived;
    const proofCounts = arrived <= this.stillMissingAt && provenAt > arrived;
    this.waitedForProof = proofCounts && provenAt > fillReady;
    if (fillReady > arrived) return (this.waitedForProof ? provenAt : fillReady) - arrived;
    return proofCounts ? provenAt - arrived : -1;
  }

  /** Past a cap: skip the oldest gap (the one at the in-order point) until back under. */
  private enforceCaps(time: number): void {
    // A proof waiting for its grace goes first: those gaps are known capture gaps, not skips.
    if (this.provenTo > this.nextRel && this.held.overCap) this.applyProof();
    while (this.held.segments > 0 && this.held.overCap) this.skipTo(this.held.start(this.held.first()), Behind.Skipped, time, null);
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
  protected missing(at: number, n: number, fill: boolean): void {
    if (this.sinkStoppedAt !== null) return;
    if (!fill) {
      this.sinkStoppedAt = at;
      this.held.dropCopies();
      return;
    }
    const sink = this.sink as DataSink;
    for (let left = n; left > 0; left -= ZERO_CHUNK.length) sink.write(left >= ZERO_CHUNK.length ? ZERO_CHUNK : ZERO_CHUNK.subarray(0, left));
  }

  /** Forget ranges well behind the in-order point. */
  protected prune(): void {
    const r = this.behind;
    if (r.size <= MAX_RANGES_BEHIND) return;
    r.dropFirst(r.size - MAX_RANGES_BEHIND / 2);
    this.prunedBelow = r.startAt(0);
  }

}
