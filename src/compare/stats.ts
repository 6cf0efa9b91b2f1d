/**
 * Delay statistics kept in bounded memory: a histogram at microsecond resolution (exact
 * quantiles at that resolution) and a time series of at most SERIES_POINTS points, halved (every
 * other point kept) whenever it fills. The histogram is made of blocks of CHUNK_US counters, one
 * per CHUNK_US microseconds that saw a sample: 4 bytes per microsecond of the range at most (a
 * Map entry per distinct value took ~30 and, with the data level's delays spread over seconds, a
 * look-up and often a rehash per sample); consecutive samples mostly fall in one block.
 */

/** Most points kept in a delay time series. */
export const SERIES_POINTS = 2000;
/** Microseconds per histogram block (a power of two). */
const CHUNK_SHIFT = 10;
const CHUNK_US = 1 << CHUNK_SHIFT;

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
  /** Blocks by index (floor(µs / CHUNK_US)); the last one used is cached. */
  private readonly hist = new Map<number, Uint32Array>();
  private lastChunk = NaN;
  private lastBlock: Uint32Array | null = null;
  /** Series: time (seconds since the comparison's origin) and delay (µs), every `stride`-th sample. */
  readonly seriesTime: number[] = [];
  readonly seriesUs: number[] = [];
  private stride = 1;
  private skipped = 0;

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
    const c = chunkOf(delayUs);
    let block = this.lastBlock;
    if (c !== this.lastChunk || block === null) {
      block = this.hist.get(c) ?? null;
      if (block === null) {
        block = new Uint32Array(CHUNK_US);
        this.hist.set(c, block);
      }
      this.lastChunk = c;
      this.lastBlock = block;
    }
    block[delayUs - c * CHUNK_US]!++;
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

  /** Quantile q (0..1) by the nearest-rank method, shifted by `shiftUs`. */
  quantile(q: number, shiftUs = 0): number | null {
    if (this.count === 0) return null;
    const keys = [...this.hist.keys()].sort((a, b) => a - b);
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (const c of keys) {
      const block = this.hist.get(c) as Uint32Array;
      for (let i = 0; i < CHUNK_US; i++) {
        seen += block[i]!;
        if (seen >= rank) return c * CHUNK_US + i - shiftUs;
      }
    }
    return this.maxUs - shiftUs;
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

/** The histogram block of a delay in µs (a shift while it fits 32 bits). */
function chunkOf(us: number): number {
  return us >= -0x80000000 && us <= 0x7fffffff ? us >> CHUNK_SHIFT : Math.floor(us / CHUNK_US);
}
