/**
 * Bounded time series and sample sets, so that per-subflow figures stay in bounded memory on a
 * capture of any length.
 */

/** Points kept per series; past this the series halves its resolution. */
export const MAX_SERIES_POINTS = 20_000;

/**
 * A step series [t, value] sampled at most once per `step` seconds (the last value of each step
 * wins); when it grows past MAX_SERIES_POINTS the step doubles and every other point goes.
 */
export class Series {
  readonly points: Array<[number, number]> = [];
  private step: number;

  constructor(step = 0.001) {
    this.step = step;
  }

  push(t: number, v: number): void {
    const p = this.points;
    const last = p[p.length - 1];
    const before = p[p.length - 2];
    if (last && before && t - before[0] < this.step) {
      last[0] = t;
      last[1] = v;
      return;
    }
    p.push([t, v]);
    if (p.length > MAX_SERIES_POINTS) {
      this.step *= 2;
      let w = 0;
      for (let r = 1; r < p.length; r += 2) p[w++] = p[r] as [number, number];
      if (p.length % 2 === 1) p[w++] = p[p.length - 1] as [number, number];
      p.length = w;
    }
  }
}

/** Samples kept for exact quantiles; past this, a uniform reservoir of this size (Vitter's R). */
export const MAX_SAMPLES = 1_000_000;

export class Samples {
  // small at first: a join flood has thousands of subflows with a sample or two each
  private values = new Float64Array(16);
  private n = 0;
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
    if (this.n < MAX_SAMPLES) {
      if (this.n === this.values.length) {
        const bigger = new Float64Array(this.values.length * 2);
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
    const sorted = this.values.slice(0, this.n).sort();
    const pos = (sorted.length - 1) * q;
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
  }

  get exact(): boolean {
    return this.count === this.n;
  }
}
