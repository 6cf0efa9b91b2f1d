/**
 * A number's JSON text (as JSON.stringify writes it) into bytes, without making a string for the
 * numbers a report is made of: whole numbers, and decimals of at most six places (times rounded to
 * the microsecond, RTTs to a tenth). Anything else is written from String(x).
 */

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000];

/**
 * Writes x at `at` in `out` (latin1) and returns the end. `out` must have room for 32 bytes.
 *
 * Why the decimal path gives String(x): when k / 10^d === x, x is the double nearest the decimal D
 * = k / 10^d. String(x) is the shortest decimal that reads back as x; another one would lie within
 * an ulp of D and, having no more places than D, differ from it by at least 10^-d — impossible
 * while ulp(x) < 10^-d, which the bound on |x| ensures. Fixed notation: 1e-6 ≤ |x| < 1e21.
 */
export function writeJsonNumber(x: number, out: Uint8Array, at: number): number {
  if (Number.isInteger(x) && Math.abs(x) < 2 ** 53) {
    if (x < 0) {
      out[at++] = 0x2d;
      x = -x;
    }
    return writeDigits(x, out, at);
  }
  const ax = Math.abs(x);
  if (ax >= 1e-6 && ax < 2 ** 31) {
    for (let d = 1; d <= 6; d++) {
      const p = POW10[d] as number;
      const k = Math.round(ax * p);
      if (k / p !== ax) continue;
      if (x < 0) out[at++] = 0x2d;
      const whole = Math.floor(k / p);
      at = writeDigits(whole, out, at);
      out[at++] = 0x2e;
      let frac = k - whole * p;
      // d places, leading zeros kept; the last one is not 0 (else a smaller d would have matched)
      for (let q = p / 10; q >= 1; q /= 10) {
        const digit = Math.floor(frac / q);
        out[at++] = 0x30 + digit;
        frac -= digit * q;
      }
      return at;
    }
  }
  const s = Number.isFinite(x) ? String(x) : 'null';
  for (let i = 0; i < s.length; i++) out[at++] = s.charCodeAt(i);
  return at;
}

/** The decimal digits of a whole number 0 ≤ n < 2^53. */
function writeDigits(n: number, out: Uint8Array, at: number): number {
  if (n < 10) {
    out[at] = 0x30 + n;
    return at + 1;
  }
  let len = 1;
  for (let m = n; m >= 10; m = Math.floor(m / 10)) len++;
  for (let i = at + len - 1; i >= at; i--) {
    const q = Math.floor(n / 10);
    out[i] = 0x30 + (n - q * 10);
    n = q;
  }
  return at + len;
}
