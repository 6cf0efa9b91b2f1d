/**
 * What the data level remembers behind its in-order point: contiguous DSN ranges, each received
 * (from one subflow, at one time: for duplicate and reinjection attribution) or a gap the point
 * moved past (not captured, or skipped by a cap). Kept in DSN order in one growable ring of
 * doubles, four per range, so that the usual in-order delivery costs a few stores, not a node in
 * an ordered structure: ranges behind the point are only ever appended at its end, forgotten from
 * the oldest, looked up by binary search, and split in place in the rare case of bytes turning up
 * for a gap already moved past.
 *
 * Ranges are contiguous: range i ends where range i + 1 starts, and the last ends at the in-order
 * point.
 */
import type { Gap } from './data-records.js';

export const enum Behind {
  Received = 0,
  NotCaptured = 1,
  Skipped = 2,
}

/** Doubles per range: start, end, time, subflow × 4 + kind. */
const STRIDE = 4;
const FIRST_CAPACITY = 16;

export class BehindRing {
  private buf = new Float64Array(0);
  /** Capacity in ranges: a power of two (the index mask). */
  private cap = 0;
  private head = 0;
  size = 0;
  /** The gap record of each range that is a gap (by physical slot), made with the first gap. */
  private gaps: Array<Gap | null> | null = null;

  private slot(i: number): number {
    return (this.head + i) & (this.cap - 1);
  }

  startAt(i: number): number {
    return this.buf[this.slot(i) * STRIDE] as number;
  }
  endAt(i: number): number {
    return this.buf[this.slot(i) * STRIDE + 1] as number;
  }
  timeAt(i: number): number {
    return this.buf[this.slot(i) * STRIDE + 2] as number;
  }
  subflowAt(i: number): number {
    return Math.floor((this.buf[this.slot(i) * STRIDE + 3] as number) / 4);
  }
  kindAt(i: number): Behind {
    return ((this.buf[this.slot(i) * STRIDE + 3] as number) % 4) as Behind;
  }
  gapAt(i: number): Gap | null {
    return this.gaps === null ? null : (this.gaps[this.slot(i)] ?? null);
  }
  setEndAt(i: number, end: number): void {
    this.buf[this.slot(i) * STRIDE + 1] = end;
  }

  /** Append a range at the in-order point. */
  push(start: number, end: number, kind: Behind, subflow: number, time: number, gap: Gap | null): void {
    if (this.size === this.cap) this.grow();
    this.write(this.slot(this.size), start, end, kind, subflow, time, gap);
    this.size++;
  }

  /** Insert a range before range i (0 ≤ i ≤ size), moving the later ones up. */
  insertAt(i: number, start: number, end: number, kind: Behind, subflow: number, time: number, gap: Gap | null): void {
    if (this.size === this.cap) this.grow();
    for (let j = this.size; j > i; j--) this.copy(this.slot(j - 1), this.slot(j));
    this.write(this.slot(i), start, end, kind, subflow, time, gap);
    this.size++;
  }

  /** Overwrite range i. */
  setAt(i: number, start: number, end: number, kind: Behind, subflow: number, time: number, gap: Gap | null): void {
    this.write(this.slot(i), start, end, kind, subflow, time, gap);
  }

  popLast(): void {
    if (this.size === 0) return;
    this.size--;
    if (this.gaps !== null) this.gaps[this.slot(this.size)] = null;
  }

  /** Forget the `n` oldest ranges. */
  dropFirst(n: number): void {
    const k = Math.min(n, this.size);
    if (this.gaps !== null) for (let i = 0; i < k; i++) this.gaps[this.slot(i)] = null;
    this.head = (this.head + k) & (this.cap - 1);
    this.size -= k;
  }

  /** Index of the range holding DSN `pos`, or -1 when it is outside every range. */
  find(pos: number): number {
    let lo = 0;
    let hi = this.size - 1;
    if (hi < 0 || pos < this.startAt(0) || pos >= this.endAt(hi)) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.startAt(mid) <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private write(s: number, start: number, end: number, kind: Behind, subflow: number, time: number, gap: Gap | null): void {
    const o = s * STRIDE;
    const b = this.buf;
    b[o] = start;
    b[o + 1] = end;
    b[o + 2] = time;
    b[o + 3] = subflow * 4 + kind;
    if (gap !== null && this.gaps === null) this.gaps = new Array<Gap | null>(this.cap).fill(null);
    if (this.gaps !== null) this.gaps[s] = gap;
  }

  private copy(from: number, to: number): void {
    const b = this.buf;
    b.copyWithin(to * STRIDE, from * STRIDE, from * STRIDE + STRIDE);
    if (this.gaps !== null) this.gaps[to] = this.gaps[from] ?? null;
  }

  private grow(): void {
    const cap = this.cap === 0 ? FIRST_CAPACITY : this.cap * 2;
    const buf = new Float64Array(cap * STRIDE);
    const gaps = this.gaps === null ? null : new Array<Gap | null>(cap).fill(null);
    const old = this.buf;
    for (let i = 0; i < this.size; i++) {
      const s = this.slot(i);
      // element by element: a subarray per range was garbage the size of the ring at each doubling
      for (let k = 0; k < STRIDE; k++) buf[i * STRIDE + k] = old[s * STRIDE + k] as number;
      if (gaps !== null) gaps[i] = (this.gaps as Array<Gap | null>)[s] ?? null;
    }
    this.buf = buf;
    this.gaps = gaps;
    this.cap = cap;
    this.head = 0;
  }
}
