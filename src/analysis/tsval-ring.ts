/**
 * TSvals sent and not yet echoed, per direction, for RTT from TCP timestamps (RFC 7323 §4): a
 * ring of (TSval, time first sent) in one array of doubles. A sender's TSvals only move forward (one
 * clock per connection), so the ring is sorted in 32-bit sequence space and an echo is found by
 * binary search: no Map, no objects, nothing to collect on the hot path.
 */
import { seqBefore, seqDiff } from '../reassembly/seq.js';
import type { Clock } from '../reassembly/clock.js';
import { packedZeros } from '../dissect/double-fields.js';

/** TSvals remembered per direction awaiting their echo (the oldest go first). */
const MAX_TSVALS = 4096;
const INITIAL = 1;
// a plain array of doubles, not a Float64Array: a typed array costs three objects and a
// separately allocated store, ~450 bytes for the 4-entry ring most flows of a flood need
const EMPTY: number[] = [];

export class TsvalRing {
  // (tsVal, time) pairs; time NaN once echoed (first echo only)
  private ring: number[] = EMPTY;
  private cap = 0;
  private head = 0;
  private n = 0;

  /** The RTT sample of the last echoed() that returned true, in µs. */
  sampleUs = 0;

  get length(): number {
    return this.n;
  }

  /**
   * A segment sent with `tsVal` (as int32: seq.ts asInt32) at `at.time`. Only a TSval past the last one starts an entry; the
   * same TSval again (a clock tick spans many segments) keeps the first time, unless that one was
   * already echoed: then it counts from now, for the next echo.
   */
  sent(tsVal: number, at: Clock): void {
    const time = at.time;
    if (this.n > 0) {
      const o = ((this.head + this.n - 1) & (this.cap - 1)) * 2;
      const last = this.ring[o] as number;
      if (last === tsVal) {
        if (Number.isNaN(this.ring[o + 1] as number)) this.ring[o + 1] = time;
        return;
      }
      if (!seqBefore(last, tsVal)) return; // a TSval going backwards: no entry
    }
    if (this.n === this.cap) {
      if (this.cap >= MAX_TSVALS) {
        this.head = (this.head + 1) & (this.cap - 1);
        this.n--;
      } else {
        this.grow();
      }
    }
    const o = ((this.head + this.n) & (this.cap - 1)) * 2;
    this.ring[o] = tsVal;
    this.ring[o + 1] = time;
    this.n++;
  }

  /** An echo of `tsEcr` seen at `at.time`: true the first time it is echoed (`sampleUs` is then the RTT). */
  echoed(tsEcr: number, at: Clock): boolean {
    const n = this.n;
    if (n === 0) return false;
    const mask = this.cap - 1;
    const r = this.ring;
    const first = r[this.head * 2] as number;
    const want = seqDiff(tsEcr, first) >>> 0; // wrapped below the first: beyond any entry
    let lo = 0;
    let hi = n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const o = ((this.head + mid) & mask) * 2;
      const d = seqDiff(r[o] as number, first) >>> 0;
      if (d === want) {
        const sentAt = r[o + 1] as number;
        if (Number.isNaN(sentAt)) return false;
        r[o + 1] = NaN;
        this.sampleUs = (at.time - sentAt) * 1e6;
        return true;
      }
      if (d < want) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  private grow(): void {
    const cap = Math.max(INITIAL, this.cap * 2);
    const ring = packedZeros(cap * 2);
    const mask = this.cap - 1;
    for (let k = 0; k < this.n; k++) {
      const o = ((this.head + k) & mask) * 2;
      ring[k * 2] = this.ring[o] as number;
      ring[k * 2 + 1] = this.ring[o + 1] as number;
    }
    this.ring = ring;
    this.cap = cap;
    this.head = 0;
  }
}
