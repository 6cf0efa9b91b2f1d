/**
 * The segments a data-level direction holds ahead of a gap, in DSN order, with their bytes and
 * count charged to the caps: this stream's, and the budget it shares with others (as gopacket's
 * MaxBufferedPagesPerConnection / MaxBufferedPagesTotal).
 *
 * A skip list (O(log n) expected search and insertion, O(1) delivery from the front and stepping
 * to the next segment) over the budget's slots (segment-slots.ts: typed-array columns shared by
 * its streams). Why a skip list: the data level needs "the segment at or before this DSN", "the
 * next one", "insert here" and "drop the oldest", on a structure that sees in-order appends most
 * of the time and, after a gap, tens of thousands of inserts in any order (the Linux
 * out-of-order queue is an rbtree for the same reason); a sorted array pays a memmove per insert
 * there. Levels come from a seeded xorshift, so that runs are reproducible.
 */
import type { DataStreamLimits } from './data-records.js';
import { storeAsDoubles } from '../dissect/double-fields.js';
import { MAX_LEVEL, NONE, type SegmentSlots } from './segment-slots.js';

export { NONE } from './segment-slots.js';

/** Probability of promoting a segment one level up, as a 32-bit threshold (1/4). */
const PROMOTE_BELOW = 0x4000_0000;

export class HeldSegments {
  bytes = 0;
  segments = 0;
  private readonly slots: SegmentSlots;
  /** Per level: first segment, last segment, predecessor in the last search (reused). */
  private readonly ends = new Int32Array(3 * MAX_LEVEL).fill(NONE);
  private level = 1;
  private rng = 0x9e37_79b9;

  constructor(private readonly limits: DataStreamLimits) {
    this.slots = limits.budget.slots;
    storeAsDoubles(this, ['bytes']);
  }

  first(): number {
    return this.ends[0] as number;
  }

  /** The highest segment. */
  last(): number {
    return this.ends[MAX_LEVEL] as number;
  }

  next(s: number): number {
    return this.slots.links[s * MAX_LEVEL] as number;
  }

  start(s: number): number {
    return this.slots.startOf[s] as number;
  }

  end(s: number): number {
    return this.slots.endOf[s] as number;
  }

  /** Capture time it arrived. */
  time(s: number): number {
    return this.slots.timeOf[s] as number;
  }

  subflow(s: number): number {
    return this.slots.subflowOf[s] as number;
  }

  /** How many of its bytes the capture held (fewer than end - start with a snap length). */
  captured(s: number): number {
    return this.slots.capturedOf[s] as number;
  }

  /** Its captured bytes, copied when held for a sink; null otherwise. */
  copy(s: number): Uint8Array | null {
    const c = this.slots.copies;
    return c === null ? null : (c[s] ?? null);
  }

  /** The segment with the greatest start ≤ key, or NONE. */
  floor(key: number): number {
    const links = this.slots.links;
    const starts = this.slots.startOf;
    let x = NONE;
    for (let i = this.level - 1; i >= 0; i--) {
      let nx = (x === NONE ? this.ends[i] : links[x * MAX_LEVEL + i]) as number;
      while (nx !== NONE && (starts[nx] as number) <= key) {
        x = nx;
        nx = links[x * MAX_LEVEL + i] as number;
      }
    }
    return x;
  }

  /** The first segment whose end is past `key` (the one holding key, or the next after it). */
  firstEndingAfter(key: number): number {
    const f = this.floor(key);
    if (f === NONE) return this.first();
    return this.end(f) > key ? f : this.next(f);
  }

  /** Hold [start, end), which overlaps nothing held. */
  hold(start: number, end: number, subflow: number, time: number, bytes: Uint8Array | null, captured: number): void {
    const slots = this.slots;
    const budget = this.limits.budget;
    const s = slots.take(budget.segments + 1);
    slots.startOf[s] = start;
    slots.endOf[s] = end;
    slots.timeOf[s] = time;
    slots.subflowOf[s] = subflow;
    slots.capturedOf[s] = captured;
    if (bytes !== null) slots.keepCopy(s, bytes);
    this.insert(s);
    const n = end - start;
    this.bytes += n;
    this.segments++;
    budget.bytes += n;
    budget.segments++;
  }

  /** The first held segment was delivered: forget it (read its fields before). */
  release(): void {
    const s = this.shift();
    if (s === NONE) return;
    const n = this.end(s) - this.start(s);
    const budget = this.limits.budget;
    this.bytes -= n;
    this.segments--;
    budget.bytes -= n;
    budget.segments--;
    this.slots.give(s, budget.segments);
  }

  /** Past this stream's cap, or the shared budget's. */
  get overCap(): boolean {
    const l = this.limits;
    return this.bytes > l.maxBufferedBytes || this.segments > l.maxBufferedSegments || l.budget.exceeded;
  }

  /** The copies held for a sink that stopped are no longer needed. */
  dropCopies(): void {
    const c = this.slots.copies;
    if (c !== null) for (let s = this.first(); s !== NONE; s = this.next(s)) c[s] = null;
  }

  private insert(s: number): void {
    const ends = this.ends;
    const links = this.slots.links;
    const starts = this.slots.startOf;
    const key = starts[s] as number;
    const lastSeg = ends[MAX_LEVEL] as number;
    const lvl = this.randomLevel();
    this.slots.levelOf[s] = lvl;
    if (lastSeg === NONE || (starts[lastSeg] as number) < key) {
      // past everything held (the usual case): appended at each level's tail, no search
      if (lvl > this.level) this.level = lvl;
      for (let i = 0; i < lvl; i++) {
        const prev = ends[MAX_LEVEL + i] as number;
        if (prev === NONE) ends[i] = s;
        else links[prev * MAX_LEVEL + i] = s;
        links[s * MAX_LEVEL + i] = NONE;
        ends[MAX_LEVEL + i] = s;
      }
      return;
    }
    const update = 2 * MAX_LEVEL;
    let x = NONE;
    for (let i = this.level - 1; i >= 0; i--) {
      let nx = (x === NONE ? ends[i] : links[x * MAX_LEVEL + i]) as number;
      while (nx !== NONE && (starts[nx] as number) < key) {
        x = nx;
        nx = links[x * MAX_LEVEL + i] as number;
      }
      ends[update + i] = x;
    }
    if (lvl > this.level) {
      for (let i = this.level; i < lvl; i++) ends[update + i] = NONE;
      this.level = lvl;
    }
    for (let i = 0; i < lvl; i++) {
      const prev = ends[update + i] as number;
      let nx: number;
      if (prev === NONE) {
        nx = ends[i] as number;
        ends[i] = s;
      } else {
        nx = links[prev * MAX_LEVEL + i] as number;
        links[prev * MAX_LEVEL + i] = s;
      }
      links[s * MAX_LEVEL + i] = nx;
      if (nx === NONE) ends[MAX_LEVEL + i] = s;
    }
  }

  /** Unlink the lowest segment and return it. */
  private shift(): number {
    const ends = this.ends;
    const s = ends[0] as number;
    if (s === NONE) return NONE;
    const lvl = this.slots.levelOf[s] as number;
    const links = this.slots.links;
    for (let i = 0; i < lvl; i++) {
      const nx = links[s * MAX_LEVEL + i] as number;
      ends[i] = nx;
      if (nx === NONE) ends[MAX_LEVEL + i] = NONE;
    }
    while (this.level > 1 && ends[this.level - 1] === NONE) this.level--;
    return s;
  }

  private randomLevel(): number {
    let lvl = 1;
    while (lvl < MAX_LEVEL) {
      // xorshift32
      let r = this.rng;
      r ^= r << 13;
      r ^= r >>> 17;
      r ^= r << 5;
      this.rng = r >>> 0;
      if (this.rng >= PROMOTE_BELOW) break;
      lvl++;
    }
    return lvl;
  }
}
