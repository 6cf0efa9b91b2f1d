/**
 * The bounds of `compare`'s matching state, on the real classes: the data level of a direction
 * whose receiver's capture misses packets (never retransmitted in sight of it) stays within one
 * window of the sender, with bounded queues; the delay histogram's quantiles are exact at 1 µs
 * (against a sorted copy of the samples); the window's index finds exactly the live records with a
 * key, through lazy removal and growth.
 */
import { describe, expect, it } from 'vitest';
import { DataDirection, IO_DSN, IO_PEER, IO_T } from '../src/compare/data-delay.ts';
import { DelayStats } from '../src/compare/stats.ts';
import { F_T, hashOf, I_IPFL, I_LEN, I_PB, I_SEQ, I_TSVAL, PAIR_SHIFT, REC_F, REC_I, RecordRing, SharedIndex } from '../src/compare/ring.ts';

describe('compare: bounded state', () => {
  it('data level: a receiver capture missing 1 packet in 100 lags at most a window, its queues stay bounded', () => {
    const windowNs = 2e9;
    const io = new Float64Array(3);
    const d = new DataDirection('c2s', windowNs, (ns) => ns / 1e9, io);
    const gapNs = 20_000; // 50,000 packets/s
    const delayNs = 5e6;
    const len = 1000;
    const n = 600_000; // 12 s
    const lagPackets = delayNs / gapNs;
    let maxQueued = 0;
    let maxOoo = 0;
    let dropped = 0;
    const internals = d as unknown as { ooo: number[] };
    for (let i = 0; i < n + lagPackets; i++) {
      if (i < n) {
        const lost = i % 100 === 99;
        io[IO_DSN] = 1 + i * len;
        io[IO_T] = i * gapNs;
        io[IO_PEER] = lost ? NaN : i * gapNs + delayNs;
        d.sent(len, 0);
      }
      // the receiver's copy of packet j, in time order after the sends before it
      const j = i - lagPackets;
      if (j >= 0 && j % 100 !== 99) {
        io[IO_DSN] = 1 + j * len;
        io[IO_T] = j * gapNs + delayNs;
        d.received(len);
      } else if (j >= 0) dropped++;
      maxQueued = Math.max(maxQueued, d.queued);
      maxOoo = Math.max(maxOoo, internals.ooo.length / 3);
    }
    // every gap is skipped once it is a window old: no delay beyond window + path delay + two packet gaps (the gap opens at the next packet, the skip at the first one past the window)
    expect(d.delay.maxUs).toBeLessThanOrEqual((windowNs + delayNs + 2 * gapNs) / 1000);
    expect(d.delay.minUs).toBe(delayNs / 1000);
    // what waits is one window of first transmissions and of out-of-order ranges
    const windowPackets = windowNs / gapNs;
    // every gap is skipped but the last window's (still open at the end)
    expect(d.skippedGaps).toBeGreaterThanOrEqual(dropped - windowPackets / 100 - 2);
    expect(d.skippedGaps).toBeLessThanOrEqual(dropped - windowPackets / 100 + 2);
    expect(maxQueued).toBeLessThanOrEqual(windowPackets * 1.02 + lagPackets);
    expect(maxOoo).toBeLessThanOrEqual(windowPackets / 100 + 2);
    expect(d.bytesMeasured).toBeGreaterThan((n - windowPackets - lagPackets) * len);
  });

  it('delay histogram: quantiles exact at 1 µs (negative, wide and beyond 32 bits too)', () => {
    let seed = 7;
    const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const sets: number[][] = [
      Array.from({ length: 20_000 }, () => Math.round(rnd() * 3_000) + 5_000),
      Array.from({ length: 20_000 }, () => Math.round((rnd() - 0.5) * 4_000_000)),
      [...Array.from({ length: 5_000 }, () => Math.round(rnd() * 100)), -3_000_000_000, 3_600_000_000, 2_147_483_648, -2_147_483_649],
      [5000, 5000, 5000, 4999, 5001],
    ];
    for (const xs of sets) {
      const st = new DelayStats();
      xs.forEach((x, i) => st.add(i, x));
      const sorted = [...xs].sort((a, b) => a - b);
      const rank = (q: number): number => sorted[Math.max(1, Math.ceil(q * xs.length)) - 1]!;
      const s = st.summary();
      expect([s.minUs, s.medianUs, s.p95Us, s.maxUs]).toEqual([sorted[0], rank(0.5), rank(0.95), sorted[sorted.length - 1]]);
      for (const q of [0, 0.01, 0.25, 0.999, 1]) expect(st.quantile(q)).toBe(rank(q));
    }
  });

  it('window index: lazy removal and growth keep exactly the live records of a key', () => {
    const ring = new RecordRing(1 << 20, new SharedIndex(1024), 1);
    const keyOf = (id: number): [number, number, number, number, number] => [id % 7, id % 2, (id % 50) * 1448, 1448, 40_000 + (id % 50)];
    const hash = (id: number): number => {
      const [pair, dir, seq, len, tsVal] = keyOf(id);
      return hashOf(pair, dir, seq, len, 0, tsVal, 0x10);
    };
    const live = (): Set<number> => new Set(Array.from({ length: ring.pending }, (_, i) => ring.head + i));
    for (let id = 0; id < 20_000; id++) {
      expect(ring.push()).toBe(id);
      const k = ring.at(id);
      const [pair, dir, seq, len, tsVal] = keyOf(id);
      ring.i32[k * REC_I + I_PB] = (pair << PAIR_SHIFT) | dir;
      ring.i32[k * REC_I + I_SEQ] = seq;
      ring.i32[k * REC_I + I_LEN] = len;
      ring.i32[k * REC_I + I_IPFL] = 0x10;
      ring.i32[k * REC_I + I_TSVAL] = tsVal;
      ring.f64[k * REC_F + F_T] = id;
      ring.index(id, hash(id));
      // a sliding window of ~3000 records: blocks added and dropped, the index growing on the way
      if (ring.pending > 3000 && id % 3 !== 0) ring.shift();
      if (id % 997 === 0 || id === 19_999) {
        const alive = live();
        for (const probe of [id, id - 1, id - 350, id - 2999]) {
          if (probe < 0) continue;
          const want = [...alive].filter((x) => hash(x) === hash(probe)).sort((a, b) => b - a);
          const got: number[] = [];
          for (let x = ring.first(hash(probe)); x !== -1; x = ring.nextOf(x)) got.push(x);
          // the bucket may hold other keys' records: the chain is newest first, live only
          expect(got.filter((x) => hash(x) === hash(probe))).toEqual(want);
          expect(got.every((x) => alive.has(x))).toBe(true);
          expect(ring.timeAt(got[0] ?? ring.head)).toBe(got[0] ?? ring.head);
        }
      }
    }
  });
});
