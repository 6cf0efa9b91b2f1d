/**
 * A bounded time series, so that per-connection and per-subflow figures stay in bounded memory on a
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
