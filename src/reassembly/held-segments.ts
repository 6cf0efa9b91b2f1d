/**
 * The segments a data-level direction holds ahead of a gap, in DSN order (ordered-intervals.ts:
 * O(log n) insertion, O(1) delivery from the front), with their nodes reused and their bytes and
 * count charged to the caps: this stream's, and the budget it shares with others (as gopacket's
 * MaxBufferedPagesPerConnection / MaxBufferedPagesTotal).
 */
import type { DataStreamLimits } from './data-records.js';
import { OrderedIntervals, type IntervalNode } from './ordered-intervals.js';

/** A segment held ahead of a gap. */
export interface Piece extends IntervalNode {
  subflow: number;
  time: number;
  /** Copy of the captured bytes (extracted directions only). */
  bytes: Uint8Array | null;
  /** How many of its bytes the capture held (fewer than end - start with a snap length). */
  captured: number;
}

/** Delivered nodes kept for reuse, so that a stream that reorders allocates none once warm. */
const MAX_FREE_NODES = 4096;

export class HeldSegments extends OrderedIntervals<Piece> {
  bytes = 0;
  segments = 0;
  private readonly free: Piece[] = [];

  constructor(private readonly limits: DataStreamLimits) {
    super();
  }

  /** Hold [start, end). */
  hold(start: number, end: number, subflow: number, time: number, bytes: Uint8Array | null, captured: number): void {
    let p = this.free.pop();
    if (p === undefined) p = { start, end, next: [], level: 0, subflow, time, bytes, captured };
    else {
      p.start = start;
      p.end = end;
      p.subflow = subflow;
      p.time = time;
      p.bytes = bytes;
      p.captured = captured;
    }
    this.insert(p);
    const n = end - start;
    this.bytes += n;
    this.segments++;
    this.limits.budget.bytes += n;
    this.limits.budget.segments++;
  }

  /** The first held segment was delivered: forget it (its fields stay readable until the next hold). */
  release(): void {
    const p = this.shift();
    if (p === null) return;
    const n = p.end - p.start;
    this.bytes -= n;
    this.segments--;
    this.limits.budget.bytes -= n;
    this.limits.budget.segments--;
    p.bytes = null;
    // stale links would keep forgotten nodes alive (a loop: fill() is a call per node)
    const links = p.next;
    for (let i = 0; i < links.length; i++) links[i] = null;
    if (this.free.length < MAX_FREE_NODES) this.free.push(p);
  }

  /** Past this stream's cap, or the shared budget's. */
  get overCap(): boolean {
    const l = this.limits;
    return this.bytes > l.maxBufferedBytes || this.segments > l.maxBufferedSegments || l.budget.exceeded;
  }

  /** The copies held for a sink that stopped are no longer needed. */
  dropCopies(): void {
    for (let p = this.first(); p !== null; p = this.next(p)) p.bytes = null;
  }
}
