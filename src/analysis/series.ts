/**
 * Bounded sample sets and time series, so that per-subflow figures stay in bounded memory on a
 * capture of any length — and cost little on the many subflows of a flood that carry a sample or
 * two (issue #9: a flood's subflows are most of its memory).
 */

export { MAX_SERIES_POINTS, Series } from '../reassembly/series.js';
/** The name the flat series had while it was a copy of Series (one class now). */
export { Series as FlatSeries } from '../reassembly/series.js';
import { appendSmall, SMALL } from '../reassembly/series.js';

/**
 * Samples kept for exact quantiles; past this, a uniform reservoir of this size (Vitter's R): the
 * rank error of a quantile from 32,768 uniform samples is ~0.1 % (p95), and the reservoirs were
 * what still grew from a 1 GB to a 5 GB capture at 100,000 (800 kB a set; 256 kB now).
 */
export const MAX_SAMPLES = 32_768;

export class Samples {
  // a plain array of doubles while small (a Float64Array is three objects and a separate store,
  // ~400 bytes, for the sample or two most subflows of a flood have), then a Float64Array grown by
  // doubling up to MAX_SAMPLES (a full reservoir is 256 kB; a plain array would have 50 % slack)
  private small: number[] = [];
  private big: Float64Array | null = null;
  /** Samples kept (≤ MAX_SAMPLES). */
  private kept = 0;
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  private rng = 0x9e3779b9;

  add(x: number): void {
    this.count++;
    this.sum += x;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    const n = this.kept;
    if (n < MAX_SAMPLES) {
      this.store(n, x);
      this.kept = n + 1;
      return;
    }
    // xorshift32: deterministic, so two runs on the same capture agree
    this.rng ^= this.rng << 13;
    this.rng ^= this.rng >>> 17;
    this.rng ^= this.rng << 5;
    const j = (this.rng >>> 0) % this.count;
    if (j < MAX_SAMPLES) this.store(j, x);
  }

  private store(i: number, x: number): void {
    if (this.big === null) {
      if (i < BIG_FROM) {
        if (i < this.small.length) this.small[i] = x;
        else if (i < SMALL) this.small = appendSmall(this.small, x);
        else this.small.push(x);
        return;
      }
      this.big = new Float64Array(2 * BIG_FROM);
      for (let k = 0; k < this.small.length; k++) this.big[k] = this.small[k] as number;
      this.small = [];
    }
    if (i >= this.big.length) {
      const next = new Float64Array(Math.min(MAX_SAMPLES, 2 * this.big.length));
      next.set(this.big);
      this.big = next;
    }
    this.big[i] = x;
  }

  /**
   * The samples kept, sorted. A large set is sorted where it is (its order means nothing to the
   * reservoir, which replaces a uniformly chosen slot): a copy of every full set at report time was
   * the largest allocation of a long capture's report (800 kB a set).
   */
  private sorted(): Float64Array {
    const n = this.kept;
    return this.big === null ? Float64Array.from(this.small).sort() : this.big.subarray(0, n).sort();
  }

  /** Quantile q in [0,1] (linear interpolation between order statistics, as numpy's default). */
  quantile(q: number): number | null {
    return this.quantiles([q])[0] as number | null;
  }

  /** Several quantiles from one sort. */
  quantiles(qs: readonly number[]): Array<number | null> {
    const n = this.kept;
    if (n === 0) return qs.map(() => null);
    const sorted = this.sorted();
    return qs.map((q) => {
      const pos = (n - 1) * q;
      const lo = Math.floor(pos);
      const hi = Math.ceil(pos);
      return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
    });
  }

  get exact(): boolean {
    return this.count === this.kept;
  }
}

/** Kept samples from which a Samples holds them in a Float64Array. */
const BIG_FROM = 1024;
