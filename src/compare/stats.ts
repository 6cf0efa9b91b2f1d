/**
 * Delay statistics kept in bounded memory: a histogram at microsecond resolution (exact
 * quantiles at that resolution, one Map entry per distinct value, not per packet) and a time
 * series of at most SERIES_POINTS points, halved (every other point kept) whenever it fills.
 */

/** Most points kept in a delay time series. */
export const SERIES_POINTS = 2000;

export interface DelaySummary {
  count: number;
  minUs: number | null;
  medianUs: number | null;
  p95Us: number | null;
  maxUs: number | null;
  meanUs: number | null;
}

export class DelayStats {
  count = 0;
  private sum = 0;
  minUs = Infinity;
  maxUs = -Infinity;
  private readonly hist = new Map<number, number>();
  /** Series: time (seconds since the comparison's origin) and delay (µs), every `stride`-th sample. */
  readonly seriesTime: number[] = [];
  readonly seriesUs: number[] = [];
  private stride = 1;
  private skipped = 0;
  /** The current run of equal samples, not yet in `hist`. */
  private runUs = NaN;
  private runCount = 0;

  add(timeSec: number, delayUs: number): void {
    if (this.count1(delayUs)) this.point(timeSec, delayUs);
  }

  /**
   * Count one sample; true when it also belongs in the series (then call `point`). Split so that
   * the hot path passes no time (a double: a heap number when passed) for the samples not kept.
   */
  count1(delayUs: number): boolean {
    this.count++;
    this.sum += delayUs;
    if (delayUs < this.minUs) this.minUs = delayUs;
    if (delayUs > this.maxUs) this.maxUs = delayUs;
    // runs of one value are common (a constant path delay): one look-up for the run
    if (delayUs === this.runUs) this.runCount++;
    else {
      this.flushRun();
      this.runUs = delayUs;
      this.runCount = 1;
    }
    if (++this.skipped < this.stride) return false;
    this.skipped = 0;
    return true;
  }

  point(timeSec: number, delayUs: number): void {
    this.seriesTime.push(timeSec);
    this.seriesUs.push(delayUs);
    if (this.seriesTime.length >= SERIES_POINTS) {
      let j = 0;
      for (let i = 0; i < this.seriesTime.length; i += 2, j++) {
        this.seriesTime[j] = this.seriesTime[i] as number;
        this.seriesUs[j] = this.seriesUs[i] as number;
      }
      this.seriesTime.length = j;
      this.seriesUs.length = j;
      this.stride *= 2;
    }
  }

  private flushRun(): void {
    if (this.runCount > 0) this.hist.set(this.runUs, (this.hist.get(this.runUs) ?? 0) + this.runCount);
    this.runCount = 0;
  }

  /** Quantile q (0..1) by the nearest-rank method, shifted by `shiftUs`. */
  quantile(q: number, shiftUs = 0): number | null {
    if (this.count === 0) return null;
    this.flushRun();
    const keys = [...this.hist.keys()].sort((a, b) => a - b);
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (const k of keys) {
      seen += this.hist.get(k) as number;
      if (seen >= rank) return k - shiftUs;
    }
    return (keys[keys.length - 1] as number) - shiftUs;
  }

  summary(shiftUs = 0): DelaySummary {
    if (this.count === 0) return { count: 0, minUs: null, medianUs: null, p95Us: null, maxUs: null, meanUs: null };
    return {
      count: this.count,
      minUs: this.minUs - shiftUs,
      medianUs: this.quantile(0.5, shiftUs),
      p95Us: this.quantile(0.95, shiftUs),
      maxUs: this.maxUs - shiftUs,
      meanUs: Math.round((this.sum / this.count - shiftUs) * 10) / 10,
    };
  }
}
