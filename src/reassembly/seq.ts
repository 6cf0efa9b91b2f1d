/**
 * Sequence-number arithmetic. 32-bit TCP sequence numbers compare modulo 2^32 (RFC 9293 §3.4);
 * 32-bit DSNs and data ACKs are the low half of 64-bit values and are widened from the last
 * known 64-bit value, as Linux's __mptcp_expand_seq does (net/mptcp/options.c).
 */

const TWO31 = 2 ** 31;

/**
 * A 32-bit sequence number (or TSval) as a signed int32, the form it crosses function calls in on
 * the hot path: V8 keeps an int32 unboxed (a small integer), where a uint32 at or past 2^31 is a
 * new heap number at every call that is not inlined (a few per packet, ~16 bytes each). Compare
 * such values only through seqBefore/seqDiff or with ===, never with < against uint32 ones.
 */
export function asInt32(x: number): number {
  return x | 0;
}

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
  const old32 = Number(BigInt.asUintN(32, ref));
  const cur32 = Number(BigInt.asUintN(32, low32));
  // the signed 32-bit distance from the reference's low half (fewer BigInt steps than splicing
  // halves: this runs for every 32-bit DSN and data ACK); exactly 2^31 apart goes forward when
  // the new low half is the smaller one, as the half-splicing form did
  let d = seqDiff(cur32, old32);
  if (d === -TWO31 && cur32 < old32) d = TWO31;
  return d === 0 ? BigInt.asUintN(64, ref) : BigInt.asUintN(64, ref + BigInt(d));
}
