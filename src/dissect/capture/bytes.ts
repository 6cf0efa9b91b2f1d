/**
 * Integer reads for capture headers, whose byte order is chosen at run time by a magic number.
 * Callers check lengths first (once per header), so the `!` below never hides a missing byte.
 */

export function readU16(b: Uint8Array, off: number, le: boolean): number {
  return le ? b[off]! | (b[off + 1]! << 8) : (b[off]! << 8) | b[off + 1]!;
}

export function readU32(b: Uint8Array, off: number, le: boolean): number {
  // `* 0x1000000` instead of `<< 24` keeps the result unsigned.
  return le
    ? (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16)) + b[off + 3]! * 0x1000000
    : b[off]! * 0x1000000 + ((b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!);
}

/** Signed 64-bit value as a number (exact up to 2**53; used for if_tsoffset seconds). */
export function readI64(b: Uint8Array, off: number, le: boolean): number {
  const hi = le ? readU32(b, off + 4, true) : readU32(b, off, false);
  const lo = le ? readU32(b, off, true) : readU32(b, off + 4, false);
  const signedHi = hi >= 0x80000000 ? hi - 0x100000000 : hi;
  return signedHi * 0x100000000 + lo;
}

/** "7b 22 61 62": the first `max` bytes, for messages about unrecognised input. */
export function hexPrefix(b: Uint8Array, max: number): string {
  const parts: string[] = [];
  for (let i = 0; i < b.length && i < max; i++) parts.push(b[i]!.toString(16).padStart(2, '0'));
  return parts.join(' ');
}
