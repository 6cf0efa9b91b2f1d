/**
 * Bounded sample sets (and the time series, from src/reassembly), so that per-subflow figures stay
 * in bounded memory on a capture of any length.
 */

export { MAX_SERIES_POINTS, Series } from '../reassembly/series.js';

/** Samples kept for exact quantiles; past this, a uniform reservoir of this size (Vitter's R). */
export const MAX_SAMPLES = 100_000;

const NO_VALUES = new Float64Array(0);

export class Samples {
  // small at first: a join flood has thousands of subflows with a sample or two each
  private values: Float64Array = NO_VALUES;
  private n = 0;
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  private rng = 0x9e3779b9;

  private sorted: Float64Array | null = null;

  add(x: number): void {
    this.sorted = null;
    this.count++;
    this.sum += x;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (this.n < MAX_SAMPLES) {
      if (this.n === this.values.length) {
        const bigger = new Float64Array(Math.max(4, this.values.length * 2));
        bigger.set(this.values);
        this.values = bigger;
      }
      this.values[this.n++] = x;
      return;
    }
    // xorshift32: deterministic, so two runs on the same capture agree
    this.rng ^= this.rng << 13;
    this.rng ^= this.rng >>> 17;
    this.rng ^= this.rng << 5;
    const j = (this.rng >>> 0) % this.count;
    if (j < MAX_SAMPLES) this.values[j] = x;
  }

  /** Quantile q in [0,1] (linear interpolation between order statistics, as numpy's default). */
  quantile(q: number): number | null {
    if (this.n === 0) return null;
    // sorted once for all the quantiles a report asks for, until the next sample
    const sorted = (this.sorted ??= this.values.slice(0, this.n).sort());
    const pos = (sorted.length - 1) * q;
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
  }

  get exact(): boolean {
    return this.count === this.n;
  }
}
