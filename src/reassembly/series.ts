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
  const out = new Array<number>(a.length + 1);
  for (let i = 0; i < a.length; i++) out[i] = a[i] as number;
  out[a.length] = x;
  return out;
}

/** Points kept per series; past this the series halves its resolution. */
export const MAX_SERIES_POINTS = 20_000;

/**
 * A step series [t, value] sampled at most once per `step` seconds (the last value of each step
 * wins); when it grows past MAX_SERIES_POINTS the step doubles and every other point goes.
 * Kept as one flat array of doubles (t0, v0, t1, v1, …: 16 bytes a point, not a 64-byte [t, v]
 * array each); `points` makes the pairs when output asks for them.
 */
export class Series {
  private flat: number[] = [];
  private step: number;

  constructor(step = 0.001) {
    this.step = step;
  }

  /** Number of points. */
  get length(): number {
    return this.flat.length >> 1;
  }

  /** The points as [t, value] pairs (made anew at each call: for output). */
  get points(): Array<[number, number]> {
    const f = this.flat;
    const out = new Array<[number, number]>(f.length >> 1);
    for (let i = 0; i < out.length; i++) out[i] = [f[2 * i] as number, f[2 * i + 1] as number];
    return out;
  }

  /** Point i's time and value. */
  t(i: number): number {
    return this.flat[2 * i] as number;
  }

  v(i: number): number {
    return this.flat[2 * i + 1] as number;
  }

  push(t: number, v: number): void {
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
    f.push(t, v);
    if (f.length > 2 * MAX_SERIES_POINTS) {
      this.step *= 2;
      const points = f.length >> 1;
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
      f.length = 2 * w;
    }
  }
}
