/**
 * Sequence-number arithmetic. 32-bit TCP sequence numbers compare modulo 2^32 (RFC 9293 §3.4);
 * 32-bit DSNs and data ACKs are the low half of 64-bit values and are widened from the last
 * known 64-bit value, as Linux's __mptcp_expand_seq does (net/mptcp/options.c).
 */

const MASK64 = (1n << 64n) - 1n;
const HIGH32 = MASK64 ^ 0xffffffffn;
const TWO32 = 1n << 32n;

/** a is before b in 32-bit sequence space. */
export function seqBefore(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** b − a in 32-bit sequence space, as a signed distance. */
export function seqDiff(b: number, a: number): number {
  return (b - a) | 0;
}

/** The 64-bit value whose low 32 bits are `low32` and that lies nearest to `ref` (wrap both ways). */
export function widen32(low32: bigint, ref: bigint): bigint {
  const old32 = Number(ref & 0xffffffffn);
  const cur32 = Number(low32 & 0xffffffffn);
  let cur = (ref & HIGH32) + BigInt(cur32);
  if (cur32 < old32 && seqBefore(old32, cur32)) cur += TWO32;
  else if (cur32 > old32 && seqBefore(cur32, old32)) cur -= TWO32;
  return cur & MASK64;
}
