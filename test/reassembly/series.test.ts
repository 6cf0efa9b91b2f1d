import { describe, expect, it } from 'vitest';
import { MAX_SERIES_POINTS, Series } from '../../src/reassembly/series.ts';
import { MAX_SAMPLES, Samples } from '../../src/analysis/series.ts';

describe('Series: bounded whatever the capture length', () => {
  it('keeps at most one point per step, the last value of each step', () => {
    const s = new Series(0.001);
    for (let i = 0; i < 10; i++) s.push(i * 0.0001, i); // ten points within 1 ms
    expect(s.points.length).toBeLessThanOrEqual(2);
    expect(s.points.at(-1)?.[0]).toBeCloseTo(0.0009, 12);
    expect(s.points.at(-1)?.[1]).toBe(9);
  });

  it('halves its resolution past MAX_SERIES_POINTS, keeping order and the latest value', () => {
    const s = new Series(0.001);
    const n = 5 * MAX_SERIES_POINTS;
    for (let i = 0; i < n; i++) s.push(i * 0.002, i);
    expect(s.points.length).toBeLessThanOrEqual(MAX_SERIES_POINTS);
    expect(s.points.length).toBeGreaterThan(MAX_SERIES_POINTS / 4);
    expect(s.points.at(-1)?.[1]).toBe(n - 1);
    for (let i = 1; i < s.points.length; i++) expect((s.points[i] as [number, number])[0]).toBeGreaterThan((s.points[i - 1] as [number, number])[0]);
  });
});

/** The series as a plain growing array of pairs (the behaviour Series keeps, whatever its storage). */
class ReferenceSeries {
  pts: Array<[number, number]> = [];
  constructor(private step: number) {}
  push(t: number, v: number): void {
    const p = this.pts;
    if (p.length >= 2 && t - (p[p.length - 2] as [number, number])[0] < this.step) {
      p[p.length - 1] = [t, v];
      return;
    }
    p.push([t, v]);
    if (p.length > MAX_SERIES_POINTS) {
      this.step *= 2;
      const kept = p.filter((_x, i) => i % 2 === 1);
      if (p.length % 2 === 1) kept.push(p[p.length - 1] as [number, number]);
      this.pts = kept;
    }
  }
}

describe('Series storage (plain array, then a typed array halved in place)', () => {
  it('has the reference points at every length, across the switch and several halvings', () => {
    for (const n of [1, 9, 511, 512, 513, 2000, MAX_SERIES_POINTS, MAX_SERIES_POINTS + 1, 3 * MAX_SERIES_POINTS + 17]) {
      const s = new Series(0.001);
      const ref = new ReferenceSeries(0.001);
      let t = 0;
      let r = n;
      for (let i = 0; i < n; i++) {
        r = (Math.imul(r, 1103515245) + 12345) >>> 0;
        t += (r % 3000) / 1e6; // steps of 0–3 ms: some points merge, most do not
        s.push(t, i);
        ref.push(t, i);
      }
      expect(s.length).toBe(ref.pts.length);
      expect(s.points).toEqual(ref.pts);
      expect(s.t(s.length - 1)).toBe(t);
      expect(s.v(s.length - 1)).toBe(n - 1);
    }
  });
});

describe('Samples: exact quantiles, then a reservoir', () => {
  it('median and p95 as numpy computes them (linear interpolation)', () => {
    const x = new Samples();
    for (const v of [5, 1, 4, 2, 3]) x.add(v);
    expect(x.quantile(0.5)).toBe(3);
    expect(x.quantile(0.95)).toBeCloseTo(4.8, 10);
    expect([x.min, x.max, x.count, x.exact]).toEqual([1, 5, 5, true]);
  });

  it('exact across the switch from a small array to a typed one (1024 samples on)', () => {
    for (const n of [1023, 1024, 1025, 5000, MAX_SAMPLES]) {
      const x = new Samples();
      const all: number[] = [];
      let r = 12345;
      for (let i = 0; i < n; i++) {
        r = (Math.imul(r, 1103515245) + 12345) >>> 0;
        const v = (r % 100_000) / 7;
        all.push(v);
        x.add(v);
      }
      all.sort((a, b) => a - b);
      const q = (p: number): number => {
        const pos = (n - 1) * p;
        const lo = Math.floor(pos);
        const hi = Math.ceil(pos);
        return (all[lo] as number) + ((all[hi] as number) - (all[lo] as number)) * (pos - lo);
      };
      expect(x.quantiles([0, 0.5, 0.95, 1])).toEqual([q(0), q(0.5), q(0.95), q(1)]);
      expect(x.exact).toBe(true);
    }
  });

  it('no samples: no quantile', () => {
    expect(new Samples().quantile(0.5)).toBeNull();
  });

  it('past MAX_SAMPLES it keeps a uniform reservoir and says the quantiles are estimates', () => {
    const x = new Samples();
    const n = MAX_SAMPLES + 200_000;
    for (let i = 0; i < n; i++) x.add(i % 1000);
    expect(x.count).toBe(n);
    expect(x.exact).toBe(false);
    expect(Math.abs((x.quantile(0.5) as number) - 499.5)).toBeLessThan(10);
  });
});
