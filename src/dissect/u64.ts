/**
 * 64-bit data sequence numbers as two unsigned 32-bit halves in plain numbers, for the hot path:
 * BigInt arithmetic allocates on every step (a DSN, a data ACK and their widening made some ten
 * BigInts a packet). The BigInt forms stay at the edges (keys, IDSNs, output).
 */
import { storeAsDoubles } from './double-fields.js';

const TWO32 = 2 ** 32;
const TWO31 = 2 ** 31;

export function hiOf(v: bigint): number {
  return Number(BigInt.asUintN(32, BigInt.asUintN(64, v) >> 32n));
}

export function loOf(v: bigint): number {
  return Number(BigInt.asUintN(32, v));
}

export function toBig(hi: number, lo: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** (hi, lo) − (bHi, bLo) as a signed 64-bit distance (exact below 2^53 in size). */
export function diff64(hi: number, lo: number, bHi: number, bLo: number): number {
  return ((hi - bHi) | 0) * TWO32 + (lo - bLo);
}

/** A 64-bit value a caller owns and overwrites (no object per packet). */
export class U64 {
  known = false;
  hi = 0;
  lo = 0;

  constructor() {
    // 32-bit halves outgrow small integers (double-fields.ts)
    storeAsDoubles(this, ['hi', 'lo']);
  }

  set(hi: number, lo: number): void {
    this.known = true;
    this.hi = hi;
    this.lo = lo;
  }

  setBig(v: bigint): void {
    this.set(hiOf(v), loOf(v));
  }

  /** (hi, lo) + n for a signed n within ±2^53, wrapping modulo 2^64. */
  setSum(hi: number, lo: number, n: number): void {
    const sum = lo + n;
    const carry = Math.floor(sum / TWO32);
    this.set((hi + carry) >>> 0, sum - carry * TWO32);
  }

  /**
   * The 64-bit value whose low half is `low32` nearest to `ref` (wrap both ways), as Linux's
   * __mptcp_expand_seq: see seq.ts's widen32, whose BigInt result this equals.
   */
  setWidened(low32: number, refHi: number, refLo: number): void {
    let d = (low32 - refLo) | 0;
    if (d === -TWO31 && low32 < refLo) d = TWO31;
    this.setSum(refHi, refLo, d);
  }

  copy(o: U64): void {
    this.known = o.known;
    this.hi = o.hi;
    this.lo = o.lo;
  }

  big(): bigint {
    return toBig(this.hi, this.lo);
  }
}
