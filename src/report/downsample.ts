/**
 * Series cut down for drawing: at most `max` points, keeping each bucket's lowest and highest
 * value (in time order) so that spikes and steps survive, as columns ready for the chart.
 */

export interface PlotSeries {
  t: number[];
  v: number[];
  /** Points before cutting down (the series itself may already be coarser than the capture: see Series). */
  total: number;
}

const roundTo = (x: number, scale: number): number => Math.round(x * scale) / scale;

/** `decimals`: of the values (times keep microseconds). */
export function downsample(points: ReadonlyArray<readonly [number, number]>, max: number, decimals = 0): PlotSeries {
  const n = points.length;
  const vs = 10 ** decimals;
  const t: number[] = [];
  const v: number[] = [];
  const push = (p: readonly [number, number]): void => {
    t.push(roundTo(p[0], 1e6));
    v.push(roundTo(p[1], vs));
  };
  if (n <= max) {
    for (const p of points) push(p);
    return { t, v, total: n };
  }
  const buckets = Math.max(1, Math.floor(max / 2));
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * n) / buckets);
    const to = Math.floor(((b + 1) * n) / buckets);
    let lo = from;
    let hi = from;
    for (let i = from + 1; i < to; i++) {
      const p = points[i] as readonly [number, number];
      if (p[1] < (points[lo] as readonly [number, number])[1]) lo = i;
      if (p[1] > (points[hi] as readonly [number, number])[1]) hi = i;
    }
    const a = Math.min(lo, hi);
    const c = Math.max(lo, hi);
    push(points[a] as readonly [number, number]);
    if (c !== a) push(points[c] as readonly [number, number]);
  }
  return { t, v, total: n };
}
