/**
 * 32-bit sequence arithmetic (RFC 9293 §3.4) and widening of 32-bit DSNs / data ACKs to 64 bits
 * from the last known value, as Linux's __mptcp_expand_seq does.
 */
import { describe, expect, it } from 'vitest';
import { seqBefore, seqDiff, widen32 } from '../../src/reassembly/seq.ts';

const TWO32 = 1n << 32n;

describe('widen32', () => {
  it.each([
    // ref                                 low32         expected
    { why: 'same epoch, forward', ref: 0x5_0000_1000n, low: 0x0000_2000n, want: 0x5_0000_2000n },
    { why: 'same epoch, backward (retransmission)', ref: 0x5_0000_2000n, low: 0x0000_1000n, want: 0x5_0000_1000n },
    { why: 'equal', ref: 0x5_1234_5678n, low: 0x1234_5678n, want: 0x5_1234_5678n },
    { why: 'forward across the wrap', ref: 0x5_ffff_ff00n, low: 0x0000_0100n, want: 0x6_0000_0100n },
    { why: 'forward across the wrap, to 0', ref: 0x5_ffff_ffffn, low: 0n, want: 0x6_0000_0000n },
    { why: 'backward across the wrap', ref: 0x6_0000_0100n, low: 0xffff_ff00n, want: 0x5_ffff_ff00n },
    { why: 'backward across the wrap, from 0', ref: 0x6_0000_0000n, low: 0xffff_ffffn, want: 0x5_ffff_ffffn },
    { why: 'forward almost half the space', ref: 0x5_0000_0000n, low: 0x7fff_ffffn, want: 0x5_7fff_ffffn },
    { why: 'more than half ahead is read as behind', ref: 0x5_1000_0000n, low: 0x9000_0001n, want: 0x4_9000_0001n },
    { why: 'first epoch, backward, wraps the 64-bit space', ref: 0x10n, low: 0xffff_fff0n, want: (1n << 64n) - 0x10n },
    { why: 'last epoch, forward, wraps the 64-bit space', ref: (1n << 64n) - 0x10n, low: 0x10n, want: 0x10n },
  ])('$why', ({ ref, low, want }) => {
    expect(widen32(low, ref)).toBe(want);
  });

  it('only the low 32 bits of the argument count', () => {
    expect(widen32(0xabc_0000_0100n, 0x5_ffff_ff00n)).toBe(0x6_0000_0100n);
  });

  it('the result always has the given low 32 bits and lies within 2^31 of the reference', () => {
    let x = 0x9e3779b97f4a7c15n;
    for (let i = 0; i < 2000; i++) {
      x = (x * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
      const ref = x;
      const low = (x >> 17n) & 0xffffffffn;
      const w = widen32(low, ref);
      expect(w & 0xffffffffn).toBe(low);
      const d = BigInt.asIntN(64, w - ref);
      expect(d >= -(TWO32 / 2n) && d <= TWO32 / 2n).toBe(true);
    }
  });
});

describe('seqBefore / seqDiff (32-bit, modulo 2^32)', () => {
  it.each([
    { a: 1, b: 2, before: true },
    { a: 2, b: 1, before: false },
    { a: 5, b: 5, before: false },
    { a: 0xffffff00, b: 0x00000100, before: true }, // across the wrap
    { a: 0x00000100, b: 0xffffff00, before: false },
    { a: 0xffffffff, b: 0, before: true },
    { a: 0, b: 0xffffffff, before: false },
    { a: 0, b: 0x7fffffff, before: true }, // just under half the space ahead
    { a: 0, b: 0x80000001, before: false }, // more than half ahead: behind
  ])('seqBefore($a, $b) = $before', ({ a, b, before }) => {
    expect(seqBefore(a, b)).toBe(before);
  });

  it.each([
    { b: 0x00000100, a: 0xffffff00, d: 0x200 },
    { b: 0xffffff00, a: 0x00000100, d: -0x200 },
    { b: 10, a: 3, d: 7 },
  ])('seqDiff($b, $a) = $d', ({ a, b, d }) => {
    expect(seqDiff(b, a)).toBe(d);
  });
});

describe('widen32 equals the half-splicing reference on random and edge values', () => {
  // the form it replaced (kept here as the oracle)
  const MASK64 = (1n << 64n) - 1n;
  const HIGH32 = MASK64 ^ 0xffffffffn;
  const TWO32 = 1n << 32n;
  const before = (a: number, b: number): boolean => ((a - b) | 0) < 0;
  function reference(low32: bigint, ref: bigint): bigint {
    const old32 = Number(ref & 0xffffffffn);
    const cur32 = Number(low32 & 0xffffffffn);
    let cur = (ref & HIGH32) + BigInt(cur32);
    if (cur32 < old32 && before(old32, cur32)) cur += TWO32;
    else if (cur32 > old32 && before(cur32, old32)) cur -= TWO32;
    return cur & MASK64;
  }
  it('100,000 seeded pairs, and the ties at 2^31 both ways and the ends of the 64-bit space', async () => {
    const { widen32 } = await import('../../src/reassembly/seq.ts');
    let x = 0x12345678;
    const rnd32 = (): bigint => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return BigInt(x >>> 0);
    };
    const pairs: Array<[bigint, bigint]> = [
      [0x8000_0000n, 0n],
      [0n, 0x8000_0000n],
      [0x1n, 0xffff_ffff_ffff_ffffn],
      [0xffff_ffffn, 0n],
      [5n, 0x1_0000_0003n],
    ];
    for (let i = 0; i < 100_000; i++) pairs.push([rnd32(), (rnd32() << 32n) | rnd32()]);
    const wrong = pairs.filter(([low, ref]) => widen32(low, ref) !== reference(low, ref));
    expect(wrong.slice(0, 3)).toEqual([]);
  });
});

describe('U64 (32-bit halves) equals the BigInt forms', () => {
  it('setWidened equals widen32, and diff64 equals BigInt.asIntN(64, a − b), on random and edge values', async () => {
    const { U64, diff64, hiOf, loOf } = await import('../../src/dissect/u64.ts');
    const w = new U64();
    let x = 0x243f6a8885a308d3n;
    const edges = [0n, 1n, 0xffff_ffffn, 0x1_0000_0000n, (1n << 64n) - 1n, (1n << 63n) - 1n, 1n << 63n];
    for (let i = 0; i < 3000; i++) {
      x = (x * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
      const ref = i < edges.length ? (edges[i] as bigint) : x;
      const low = i % 3 === 0 ? (ref + BigInt((i % 7) - 3)) & 0xffff_ffffn : (x >> 13n) & 0xffff_ffffn;
      w.setWidened(Number(low), hiOf(ref), loOf(ref));
      expect(w.big()).toBe(widen32(low, ref));
      const b = (x >> 7n) ^ 0x5555n;
      const near = BigInt.asUintN(64, b + BigInt((i * 7919) % 2 ** 40) - 2n ** 39n);
      expect(diff64(hiOf(near), loOf(near), hiOf(b), loOf(b))).toBe(Number(BigInt.asIntN(64, near - b)));
    }
  });
});
