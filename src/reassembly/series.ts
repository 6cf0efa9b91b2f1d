/**
 * A bounded time series, so that per-connection and per-subflow figures stay in bounded memory on a
 * capture of any length.
 */

/**
 * Below this many elements an array grows by one at a time (a copy, exactly sized): V8's first push
 * into an empty array makes room for 17 elements, ~150 bytes for the one or two values most series
 * and sample sets of a flood's subflows ever get.
 */
export const SMALL = 8;

export function appendSmall(a: number[], x: number): number[] {
  // packed (double-fields.ts packedZeros says why), exactly sized
  const n = a.length;
  return Array.from({ length: n + 1 }, (_, i) => (i < n ? (a[i] as number) : x));
}

/**
 * Points kept per series; past this the series halves its resolution. 10,000 is five times what
 * the HTML report draws of a series (report/collect.ts), and writing them was most of what
 * `analyze --json` added to its peak memory on a 5 GB capture (20,000: 80.6 MB against 67.9 MB
 * for 100 MB; docs/benchmarks.md).
 */
export const MAX_SERIES_POINTS = 10_000;

/**
 * A step series [t, value] sampled at most once per `step` seconds (the last value of each step
 * wins); when it grows past MAX_SERIES_POINTS the step doubles and every other point goes.
 * Kept flat (t0, v0, t1, v1, …: 16 bytes a point, not a 64-byte [t, v] array each): a plain array
 * while small (most series of a flood hold a point or two), then a Float64Array grown by doubling
 * to its final size and halved in place. A plain array that long sat in V8's large-object space
 * and was copied to a new one at each growth, the old copies garbage until a full collection: on a
 * 5 GB capture that was most of the growth in peak RSS over a 1 GB one. `points` makes the pairs
 * when output asks for them.
 */
export class Series {
  private flat: number[] = [];
  private big: Float64Array | null = null;
  /** Numbers used in `big` (twice the points). */
  private used = 0;
  private step: number;

  constructor(step = 0.001) {
    this.step = step;
  }

  /** Number of points. */
  get length(): number {
    return (this.big === null ? this.flat.length : this.used) >> 1;
  }

  /** The points as [t, value] pairs (made anew at each call: for output). */
  get points(): Array<[number, number]> {
    const out = new Array<[number, number]>(this.length);
    for (let i = 0; i < out.length; i++) out[i] = [this.t(i), this.v(i)];
    return out;
  }

  /** Point i's time and value. */
  t(i: number): number {
    return (this.big === null ? this.flat[2 * i] : this.big[2 * i]) as number;
  }

  v(i: number): number {
    return (this.big === null ? this.flat[2 * i + 1] : this.big[2 * i + 1]) as number;
  }

  push(t: number, v: number): void {
    const big = this.big;
    if (big === null) {
      const f = this.flat;
      const n = f.length;
      // the last point moves forward while it is within a step of the one before it
      if (n >= 4 && t - (f[n - 4] as number) < this.step) {
        f[n - 2] = t;
        f[n - 1] = v;
        return;
      }
      if (n < 2 * SMALL) {
        this.flat = appendSmall(appendSmall(f, t), v);
        return;
      }
      if (n < 2 * BIG_FROM) {
        f.push(t, v);
        return;
      }
      const b = new Float64Array(4 * BIG_FROM);
      for (let i = 0; i < n; i++) b[i] = f[i] as number;
      this.big = b;
      this.used = n;
      this.flat = [];
      this.push(t, v);
      return;
    }
    const n = this.used;
    if (t - (big[n - 4] as number) < this.step) {
      big[n - 2] = t;
      big[n - 1] = v;
      return;
    }
    let b = big;
    if (n + 2 > b.length) {
      b = new Float64Array(Math.min(2 * b.length, 2 * MAX_SERIES_POINTS + 2));
      b.set(big);
      this.big = b;
    }
    b[n] = t;
    b[n + 1] = v;
    this.used = n + 2;
    if (this.used > 2 * MAX_SERIES_POINTS) this.halve(b);
  }

  /** Double the step: every other point goes (the odd ones, and the last one stays). */
  private halve(f: Float64Array): void {
    this.step *= 2;
    const points = this.used >> 1;
    let w = 0;
    for (let r = 1; r < points; r += 2) {
      f[2 * w] = f[2 * r] as number;
      f[2 * w + 1] = f[2 * r + 1] as number;
      w++;
    }
    if (points % 2 === 1) {
      f[2 * w] = f[2 * (points - 1)] as number;
      f[2 * w + 1] = f[2 * (points - 1) + 1] as number;
      w++;
    }
    this.used = 2 * w;
  }
}

/** Points from which a Series holds them in a Float64Array (a plain array below). */
const BIG_FROM = 512;
