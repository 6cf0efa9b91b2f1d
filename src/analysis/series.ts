/**
 * Bounded sample sets and time series, so that per-subflow figures stay in bounded memory on a
 * capture of any length — and cost little on the many subflows of a flood that carry a sample or
 * two (issue #9: a flood's subflows are most of its memory).
 */

export { MAX_SERIES_POINTS, Series } from '../reassembly/series.js';
/** The name the flat series had while it was a copy of Series (one class now). */
export { Series as FlatSeries } from '../reassembly/series.js';
import { appendSmall, SMALL } from '../reassembly/series.js';

/** Samples kept for exact quantiles; past this, a uniform reservoir of this size (Vitter's R). */
export const MAX_SAMPLES = 100_000;

export class Samples {
  // a plain array of doubles while small (a Float64Array is three objects and a separate store,
  // ~400 bytes, for the sample or two most subflows of a flood have), then a Float64Array grown by
  // doubling up to MAX_SAMPLES: a full reservoir is 800 kB, not a plain array's 1.2 MB of slack
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

  /** The samples kept, sorted (a copy, made per call: a report asks once per figure set). */
  private sortedCopy(): Float64Array {
    const n = this.kept;
    return this.big === null ? Float64Array.from(this.small).sort() : this.big.slice(0, n).sort();
  }

  /** Quantile q in [0,1] (linear interpolation between order statistics, as numpy's default). */
  quantile(q: number): number | null {
    return this.quantiles([q])[0] as number | null;
  }

  /** Several quantiles from one sort. */
  quantiles(qs: readonly number[]): Array<number | null> {
    const n = this.kept;
    if (n === 0) return qs.map(() => null);
    const sorted = this.sortedCopy();
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
