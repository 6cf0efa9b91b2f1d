/**
 * DSS checksum (RFC 8684 §3.3.1): the TCP ones' complement sum over a pseudo-header — the DSN as
 * 64 bits (even when the wire carries 4 bytes), the subflow sequence number, the data-level length
 * and the checksum field — followed by every payload byte the mapping covers. Right when the
 * folded sum is 0xffff.
 *
 * A mapping's bytes arrive in several segments (and possibly out of order), so the sum is kept
 * open: each byte is added at its offset in the mapping (even offsets are the high byte of a
 * 16-bit word), and the result is read once every byte has been added.
 */

/** Sum of the pseudo-header words, unfolded. */
export function pseudoHeaderSum(dsn: bigint, ssn: number, dataLen: number, checksum: number): number {
  const d = BigInt.asUintN(64, dsn);
  return pseudoHeaderSumAt(Number(d >> 32n), Number(d & 0xffffffffn), ssn, dataLen, checksum);
}

/** pseudoHeaderSum with the DSN as 32-bit halves. */
export function pseudoHeaderSumAt(dsnHi: number, dsnLo: number, ssn: number, dataLen: number, checksum: number): number {
  let sum = (dsnHi >>> 16) + (dsnHi & 0xffff) + (dsnLo >>> 16) + (dsnLo & 0xffff);
  sum += (ssn >>> 16) + (ssn & 0xffff);
  sum += dataLen & 0xffff;
  sum += checksum & 0xffff;
  return sum;
}

/** Add `bytes` that start at `offset` within the mapping's payload to a running sum. */
export function addPayload(sum: number, bytes: Uint8Array, offset: number): number {
  let s = sum;
  let i = 0;
  const n = bytes.length;
  if (n === 0) return s;
  if (offset & 1) {
    s += bytes[0] as number;
    i = 1;
  }
  for (; i + 1 < n; i += 2) s += ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
  if (i < n) s += (bytes[i] as number) << 8;
  // keep the sum small enough to stay exact in a double: fold now and then
  return s > 0x7fffffff ? fold(s) : s;
}

export function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

export function checksumValid(sum: number): boolean {
  return fold(sum) === 0xffff;
}
