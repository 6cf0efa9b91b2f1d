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

describe('Samples: exact quantiles, then a reservoir', () => {
  it('median and p95 as numpy computes them (linear interpolation)', () => {
    const x = new Samples();
    for (const v of [5, 1, 4, 2, 3]) x.add(v);
    expect(x.quantile(0.5)).toBe(3);
    expect(x.quantile(0.95)).toBeCloseTo(4.8, 10);
    expect([x.min, x.max, x.count, x.exact]).toEqual([1, 5, 5, true]);
  });

  it('exact across the switch from a small array to a typed one (1024 samples on)', () => {
    for (const n of [1023, 1024, 1025, 5000, 70_000]) {
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
